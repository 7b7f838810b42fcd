package equiv

import (
	"testing"

	"github.com/xdplab/xdplab/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
