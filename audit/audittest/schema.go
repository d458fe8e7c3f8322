// Package audittest checks audit records against the published schema,
// docs/audit-event.schema.json, so a test fails when the flow writes an
// event the documentation does not describe.
package audittest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	once     sync.Once
	compiled *jsonschema.Schema
	loadErr  error
)

// schemaPath finds docs/audit-event.schema.json from the module root,
// wherever the test runs.
func schemaPath() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "docs", "audit-event.schema.json"), nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("audittest: no go.mod above the test")
		}
		dir = up
	}
}

func load() (*jsonschema.Schema, error) {
	once.Do(func() {
		p, err := schemaPath()
		if err != nil {
			loadErr = err
			return
		}
		b, err := os.ReadFile(p)
		if err != nil {
			loadErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			loadErr = fmt.Errorf("audittest: %s: %w", p, err)
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource("audit-event.schema.json", doc); err != nil {
			loadErr = err
			return
		}
		compiled, loadErr = c.Compile("audit-event.schema.json")
	})
	return compiled, loadErr
}

// Validate checks one sealed line against the schema.
func Validate(line []byte) error {
	s, err := load()
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
	if err != nil {
		return fmt.Errorf("audit record is not JSON: %w", err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("audit record does not match docs/audit-event.schema.json: %v\n%s", err, line)
	}
	return nil
}

// ValidateAll checks every non-empty line of a trail.
func ValidateAll(trail []byte) error {
	for _, l := range bytes.Split(trail, []byte("\n")) {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		if err := Validate(l); err != nil {
			return err
		}
	}
	return nil
}
