// Package scenarios will hold the scenario file format and library; its
// subpackage traffic synthesises frames and sends them. See traffic.
package scenarios
