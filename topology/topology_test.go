package topology_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/topology"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestPairOptionsRejected(t *testing.T) {
	_, err := topology.NewPair(topology.PairOptions{RunID: "Bad/ID"})
	assert.ErrorContains(t, err, "run id")
	_, err = topology.NewPair(topology.PairOptions{RunID: "abc", Queues: -1})
	assert.ErrorContains(t, err, "queues -1 out of range")
}

func TestCountersSumQueues(t *testing.T) {
	c := topology.Counters{Ethtool: map[string]uint64{
		"rx_queue_0_xdp_packets": 5, "rx_queue_1_xdp_packets": 7,
		"rx_queue_0_xdp_bytes": 100, "tx_queue_0_xdp_xmit": 3, "peer_ifindex": 9,
	}}
	n, ok := c.SumQueues("rx", "xdp_packets")
	assert.True(t, ok)
	assert.Equal(t, uint64(12), n)
	_, ok = c.SumQueues("rx", "xdp_redirect")
	assert.False(t, ok)
	d := c.Sub(topology.Counters{Ethtool: map[string]uint64{"rx_queue_0_xdp_packets": 2}})
	assert.Equal(t, map[string]uint64{"rx_queue_0_xdp_packets": 3}, d.Ethtool)
}
