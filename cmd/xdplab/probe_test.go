package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProbeRejects(t *testing.T) {
	_, _, err := xdplab(t, context.Background(), "probe", "--format", "xml")
	var ue *usageError
	require.Error(t, err)
	assert.True(t, errorsAs(err, &ue), "usage error: %v", err)
	_, _, err = xdplab(t, context.Background(), "probe", "extra")
	assert.True(t, errorsAs(err, &ue), "usage error: %v", err)
}
