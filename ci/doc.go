// Package ci holds xdplab's CI and kernel matrix:
//
//   - kernels: Debian kernel packages through a private apt configuration,
//     netdevsim built out of tree, a cache keyed by version and recipe;
//   - vm: a busybox initramfs with xdplab and the modules, booted in QEMU;
//   - matrix: xdplab probe and run in one VM per kernel, and the table;
//   - workflows/: GitHub Actions files; test.yml runs .ci/run, matrix.yml
//     spreads the kernel matrix over one job per kernel;
//   - reference/: the C reference tools next to xdplab.
package ci
