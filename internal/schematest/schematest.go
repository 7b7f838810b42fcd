// Package schematest checks JSON documents against xdplab's JSON Schemas in
// tests. It needs no privileges and imports nothing of xdplab, so that any
// package's tests may use it.
package schematest

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
)

// ValidateJSON checks a JSON document against a JSON Schema; refs are the
// schemas it refers to, each known by its $id.
func ValidateJSON(tb testing.TB, schema, doc []byte, refs ...[]byte) {
	tb.Helper()
	require.NoError(tb, Validate(schema, doc, refs...))
}

// Validate is ValidateJSON's check, for a test that wants a document
// refused: an error names the schema, the document or what is invalid.
func Validate(schema, doc []byte, refs ...[]byte) error {
	c := jsonschema.NewCompiler()
	add := func(b []byte) (string, error) {
		sd, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return "", fmt.Errorf("schema: %w", err)
		}
		id := "schema.json"
		if m, ok := sd.(map[string]any); ok {
			if s, ok := m["$id"].(string); ok {
				id = s
			}
		}
		return id, c.AddResource(id, sd)
	}
	for _, r := range refs {
		if _, err := add(r); err != nil {
			return err
		}
	}
	id, err := add(schema)
	if err != nil {
		return err
	}
	sch, err := c.Compile(id)
	if err != nil {
		return fmt.Errorf("compile schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("document: %w", err)
	}
	return sch.Validate(inst)
}
