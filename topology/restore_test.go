package topology

import (
	"testing"

	"github.com/safchain/ethtool"
	"github.com/stretchr/testify/assert"
)

// Every recorded feature that differs now and that the driver lets change
// goes back; what is fixed, unknown now or unchanged is left alone.
func TestFeaturesToRestore(t *testing.T) {
	was := map[string]bool{"rx-gro": true, "large-receive-offload": true, "tx-checksum-ip-generic": false, "rx-hashing": true, "gone": true}
	now := map[string]ethtool.FeatureState{
		"rx-gro":                 {Available: true, Active: false},
		"large-receive-offload":  {Available: true, Active: false},
		"tx-checksum-ip-generic": {Available: true, Active: false},
		"rx-hashing":             {Available: false, Active: false}, // fixed
	}
	assert.Equal(t, map[string]bool{"rx-gro": true, "large-receive-offload": true}, featuresToRestore(was, now))
	assert.Empty(t, featuresToRestore(nil, now))
	assert.Equal(t, map[string]bool{"x": false}, featuresToRestore(map[string]bool{"x": false}, map[string]ethtool.FeatureState{"x": {Available: true, Active: true}}))
}

// Ring sizes compare by what is set, not by the driver's maximums.
func TestSamePending(t *testing.T) {
	a := ethtool.Ring{RxMaxPending: 4096, TxMaxPending: 4096, RxPending: 256, TxPending: 256}
	b := a
	b.RxMaxPending = 1024
	assert.True(t, samePending(a, b))
	for _, f := range []func(*ethtool.Ring){
		func(r *ethtool.Ring) { r.RxPending = 512 },
		func(r *ethtool.Ring) { r.TxPending = 512 },
		func(r *ethtool.Ring) { r.RxMiniPending = 1 },
		func(r *ethtool.Ring) { r.RxJumboPending = 1 },
	} {
		c := a
		f(&c)
		assert.False(t, samePending(a, c), "%+v", c)
	}
}
