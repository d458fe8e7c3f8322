package freshdesktest

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The contract is embedded so the fake is the same wherever a test runs.
//
//go:embed testdata/freshdesk-v2.yaml
var contractYAML []byte

var (
	contractOnce   sync.Once
	contractRouter routers.Router
	contractErr    error
)

// router loads the contract once. The servers entry is replaced by "/" so
// the httptest host matches; the paths keep their /api/v2 prefix.
func router() (routers.Router, error) {
	contractOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(contractYAML)
		if err != nil {
			contractErr = fmt.Errorf("freshdesktest: contract: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			contractErr = fmt.Errorf("freshdesktest: contract: %w", err)
			return
		}
		doc.Servers = openapi3.Servers{{URL: "/"}}
		contractRouter, contractErr = gorillamux.NewRouter(doc)
	})
	return contractRouter, contractErr
}

// violation is a request the contract refuses, as Freshdesk's 400 names it.
type violation struct {
	status  int
	field   string
	code    string
	message string
}

func (v violation) Error() string {
	return fmt.Sprintf("%d %s %s: %s", v.status, v.field, v.code, v.message)
}

// validate checks r against the contract: the route, query parameters (an
// unknown one is Freshdesk's invalid_field), and the body's schema. The body
// is read and put back.
func validate(r *http.Request, body []byte) (*routers.Route, error) {
	rt, err := router()
	if err != nil {
		return nil, err
	}
	route, params, err := rt.FindRoute(r)
	if errors.Is(err, routers.ErrMethodNotAllowed) {
		return nil, violation{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: r.Method + " Method is not allowed"}
	}
	if err != nil {
		return nil, violation{status: http.StatusNotFound, code: "invalid_url", message: "no such path " + r.URL.Path}
	}
	known := map[string]bool{}
	for _, p := range route.Operation.Parameters {
		if p.Value != nil && p.Value.In == "query" {
			known[p.Value.Name] = true
		}
	}
	for name := range r.URL.Query() {
		if !known[name] {
			return route, violation{status: http.StatusBadRequest, field: name, code: "invalid_field", message: "Unexpected/invalid field in request"}
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			// Auth is checked before validation, the way Freshdesk does it.
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			MultiError:         false,
		},
	}
	err = openapi3filter.ValidateRequest(r.Context(), in)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return route, toViolation(err)
	}
	return route, nil
}

func toViolation(err error) violation {
	v := violation{status: http.StatusBadRequest, code: "invalid_value", message: err.Error()}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		if re.Parameter != nil {
			v.field = re.Parameter.Name
		}
		if re.Reason != "" {
			v.message = re.Reason
		}
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		if p := se.JSONPointer(); len(p) > 0 {
			v.field = strings.Join(p, ".")
		}
		v.message = se.Reason
		if se.SchemaField == "required" || se.SchemaField == "anyOf" {
			v.code = "missing_field"
		}
		// kin names an unknown property under "properties"; Freshdesk
		// calls it invalid_field.
		if name, ok := strings.CutPrefix(se.Reason, "property "); ok && strings.HasSuffix(name, " is unsupported") {
			v.code = "invalid_field"
			v.field = strings.Trim(strings.TrimSuffix(name, " is unsupported"), `"`)
		}
		if se.SchemaField == "type" {
			v.code = "datatype_mismatch"
		}
	}
	return v
}
