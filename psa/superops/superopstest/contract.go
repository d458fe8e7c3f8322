package superopstest

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
)

// contractSDL is the hand-written contract of the operations unlockbot
// sends (testdata/SOURCE.md says where each fact comes from).
//
//go:embed testdata/superops-msp.graphql
var contractSDL string

// Contract returns the parsed contract, so a test can check a document
// before it ever reaches the fake.
func Contract() (*ast.Schema, error) {
	return gqlparser.LoadSchema(&ast.Source{Name: "superops-msp.graphql", Input: contractSDL})
}

// gqlRequest is the body of a GraphQL POST; unknown keys are refused.
type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// checked is a request that passed the contract: one operation whose
// variables were coerced against their declared types.
type checked struct {
	op   *ast.OperationDefinition
	vars map[string]any
}

// check validates a request against the contract the way a GraphQL server
// does before running it: the document (unknown operations, fields and
// sub-selections into JSON scalars are errors), the chosen operation and
// the variables (types, required input fields, unknown input fields, and
// variables the operation does not declare).
func check(schema *ast.Schema, req gqlRequest) (checked, []graphQLError) {
	doc, errs := gqlparser.LoadQuery(schema, req.Query)
	if len(errs) > 0 {
		return checked{}, validationErrors(errs)
	}
	var op *ast.OperationDefinition
	switch {
	case req.OperationName != "":
		op = doc.Operations.ForName(req.OperationName)
		if op == nil {
			return checked{}, []graphQLError{validationError("Unknown operation named '%s'.", req.OperationName)}
		}
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	default:
		return checked{}, []graphQLError{validationError("Must provide operation name if query contains multiple operations.")}
	}
	for name := range req.Variables {
		if op.VariableDefinitions.ForName(name) == nil {
			return checked{}, []graphQLError{validationError("Variable '%s' is not declared by operation '%s'.", name, op.Name)}
		}
	}
	vars, err := validator.VariableValues(schema, op, req.Variables)
	if err != nil {
		return checked{}, []graphQLError{validationError("Variable validation failed: %s", err.Error())}
	}
	if err := strictVars(schema, op, req.Variables); err != nil {
		return checked{}, []graphQLError{validationError("Variable validation failed: %s", err.Error())}
	}
	return checked{op: op, vars: vars}, nil
}

// graphQLError is one entry of "errors" in the answer. SuperOps' own
// (application) errors carry extensions.clientError; schema violations are
// the GraphQL server's ValidationError classification.
type graphQLError struct {
	Message    string         `json:"message,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions"`
}

// ClientError is one SuperOps application error (Help Center "Handling
// errors"): a code and a param container describing it.
type ClientError struct {
	Code  string         `json:"code"`
	Param map[string]any `json:"param"`
}

func validationError(format string, args ...any) graphQLError {
	return graphQLError{
		Message:    "Validation error: " + fmt.Sprintf(format, args...),
		Extensions: map[string]any{"classification": "ValidationError"},
	}
}

func validationErrors(errs gqlerror.List) []graphQLError {
	out := make([]graphQLError, 0, len(errs))
	for _, e := range errs {
		out = append(out, validationError("%s", strings.TrimSpace(e.Message)))
	}
	return out
}

func clientError(field, code string, attributes ...string) graphQLError {
	param := map[string]any{}
	if len(attributes) > 0 {
		param["attributes"] = attributes
	}
	return graphQLError{
		Path:       []any{field},
		Extensions: map[string]any{"clientError": []ClientError{{Code: code, Param: param}}},
	}
}
