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

// ValidateJSON checks a JSON document against a JSON Schema.
func ValidateJSON(tb testing.TB, schema, doc []byte) {
	tb.Helper()
	sd, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	require.NoError(tb, err, "schema")
	c := jsonschema.NewCompiler()
	require.NoError(tb, c.AddResource("schema.json", sd))
	sch, err := c.Compile("schema.json")
	require.NoError(tb, err, "compile schema")
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	require.NoError(tb, err, "document")
	require.NoError(tb, sch.Validate(inst))
}
