// Package schematest checks JSON documents against xdplab's JSON Schemas in
// tests. It needs no privileges and imports nothing of xdplab, so that any
// package's tests may use it.
package schematest

import (
	"bytes"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
)

// ValidateJSON checks a JSON document against a JSON Schema; refs are the
// schemas it refers to, each known by its $id.
func ValidateJSON(tb testing.TB, schema, doc []byte, refs ...[]byte) {
	tb.Helper()
	c := jsonschema.NewCompiler()
	add := func(b []byte) string {
		sd, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		require.NoError(tb, err, "schema")
		id := "schema.json"
		if m, ok := sd.(map[string]any); ok {
			if s, ok := m["$id"].(string); ok {
				id = s
			}
		}
		require.NoError(tb, c.AddResource(id, sd))
		return id
	}
	for _, r := range refs {
		add(r)
	}
	sch, err := c.Compile(add(schema))
	require.NoError(tb, err, "compile schema")
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	require.NoError(tb, err, "document")
	require.NoError(tb, sch.Validate(inst))
}
