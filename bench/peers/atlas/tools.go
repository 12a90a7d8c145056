//go:build tools

// Package tools pins atlas for the benchmarks (built by tests/tools/build.sh atlas).
package tools

import _ "ariga.io/atlas/cmd/atlas"
