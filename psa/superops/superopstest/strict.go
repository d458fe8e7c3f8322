package superopstest

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// strictVars closes two doors gqlparser's coercion leaves open that a
// GraphQL-Java server (SuperOps) keeps shut: an Int sent as a string ("5")
// and an enum in the wrong case ("private").
func strictVars(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any) error {
	for _, d := range op.VariableDefinitions {
		if v, ok := vars[d.Variable]; ok {
			if err := strictValue(schema, d.Type, v, d.Variable); err != nil {
				return err
			}
		}
	}
	return nil
}

func strictValue(schema *ast.Schema, t *ast.Type, v any, path string) error {
	if v == nil {
		return nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return strictValue(schema, t.Elem, v, path) // single value coerced to a list
		}
		for i, x := range list {
			if err := strictValue(schema, t.Elem, x, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	def := schema.Types[t.NamedType]
	switch {
	case def == nil:
		return nil
	case def.Kind == ast.Enum:
		s, _ := v.(string)
		if def.EnumValues.ForName(s) == nil {
			return fmt.Errorf("%s: %v is not a valid %s", path, v, def.Name)
		}
	case t.NamedType == "Int":
		if _, ok := v.(float64); !ok {
			return fmt.Errorf("%s: Int must be a JSON number", path)
		}
	case def.Kind == ast.InputObject:
		m, _ := v.(map[string]any)
		for _, f := range def.Fields {
			if x, ok := m[f.Name]; ok {
				if err := strictValue(schema, f.Type, x, path+"."+f.Name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
