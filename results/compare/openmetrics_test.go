package compare

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOpenMetricsNames(t *testing.T) {
	assert.Equal(t, "xdplab_mpps", OpenMetricsName("Mpps"))
	assert.Equal(t, "xdplab_cpu_ns_pkt", OpenMetricsName("cpu-ns/pkt"))
	assert.Equal(t, "xdplab_loss", OpenMetricsName("loss-%"))
	assert.Equal(t, `{prog="drop",mode="native",size="64",proto="udp",_6x="y",run="a\"b\\c\nd"}`,
		OpenMetricsLabels("prog=drop/mode=native/size=64/proto=udp/6x=y/junk", "run", "a\"b\\c\nd"))
	assert.Equal(t, "{}", OpenMetricsLabels(""))
}
