# xdplab's Makefile. Most targets need root (sudo make test).
# sudo drops /usr/local/go/bin from PATH on Debian: find go there too.
GO      ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build generate check-generate test test-library test-unit fuzz mutation lint demo report-screenshot matrix clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o xdplab ./cmd/xdplab

# Rebuild the BPF objects with Debian's clang (apt-get install clang llvm libbpf-dev).
generate:
	cd bpf && $(GO) generate ./...

# Fail when a committed BPF object or binding differs from a fresh build.
check-generate: generate
	@git diff --exit-code --stat -- bpf/ || { echo "bpf/: committed objects are stale: run make generate and commit"; exit 1; }

# Every test, integration tests included (root: they build namespaces and
# send traffic). Integration tests are TestIntegration* in
# *_integration_test.go files, built only with the integration tag.
# Packages run one at a time so trials do not compete for CPUs.
test:
	$(GO) test -tags integration -p 1 -count=1 -timeout 20m ./...

# The library scenarios alone, each as its file says (its trials, their
# length), judged as `xdplab run --scenario` judges it; make test runs them
# too. XDPLAB_LIBRARY=quick,ddos-filter narrows them.
test-library:
	$(GO) test -tags integration -count=1 -timeout 60m -run '^TestIntegrationLibrary$$' -v ./internal/runner

# The tests that need no privileges: without the integration tag no test
# that builds a namespace or sends a frame is compiled, however this runs.
test-unit:
	$(GO) test -count=1 ./...

# The fuzz targets, briefly (CI runs this).
FUZZTIME ?= 15s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./scenarios
	$(GO) test -run '^$$' -fuzz '^FuzzParseCapture$$' -fuzztime $(FUZZTIME) ./internal/stream
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./scenarios/expect
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./results
	$(GO) test -run '^$$' -fuzz '^FuzzParseFilterRules$$' -fuzztime $(FUZZTIME) ./bpf/catalog
	$(GO) test -run '^$$' -fuzz '^FuzzParseConsole$$' -fuzztime $(FUZZTIME) ./ci/vm

# Mutation testing of the decision code (the gate, expectations, the
# search, the flags, the run description's validation, the qualification
# verdicts) with the unit tests alone (no integration tag): as root it
# runs as nobody in a copy of the tree.
# Fails below 85% efficacy or 80% mutant coverage per package.
mutation:
	GO=$(GO) .ci/mutation

# staticcheck, pinned: go run fetches and builds this version once (the
# module proxy), then the build cache keeps it. With the integration tag it
# sees every file, so the helpers only integration tests use are not
# "unused".
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags integration ./...
	$(STATICCHECK) -tags integration ./...

# The README's main job: a quick comparison of modes on a veth pair.
demo: build
	./xdplab run --prog drop,pass,tx --duration 2s --trials 3

# The kernel matrix in QEMU (root; apt-get install qemu-system-x86
# busybox-static). Kernels are cached in $(XDPLAB_CACHE).
# NICS: the emulated NIC pairs each VM qualifies (igb, virtio, vmxnet3,
# e1000e; all: what the installed QEMU emulates; none).
KERNELS      ?= 5.10,6.1,6.12,sid
NICS         ?= all
XDPLAB_CACHE ?= /var/cache/xdplab
matrix: build
	XDPLAB_CACHE=$(XDPLAB_CACHE) ./xdplab matrix --kernels $(KERNELS) --nics $(NICS)

# The HTML report of the committed fixtures (two runs, two kernels, a probe
# report) and a PNG of it from headless Chromium (apt-get install chromium).
report-screenshot: build
	mkdir -p xdplab-results
	./xdplab report results/testdata/run-a-k6.18.json results/testdata/run-b-k6.1.json \
		internal/probe/testdata/probe-virtio_net.json -o xdplab-results/report.html
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,3400 \
		--screenshot=xdplab-results/report.png file://$(CURDIR)/xdplab-results/report.html
	@echo "xdplab-results/report.png"

# Remove the binary (results in xdplab-results/ are kept). To remove what a
# killed run left in the kernel: sudo ./xdplab clean.
clean:
	rm -f xdplab
