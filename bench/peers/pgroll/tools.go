//go:build tools

// Package tools pins pgroll for the benchmarks (built by tests/tools/build.sh pgroll).
package tools

import _ "github.com/xataio/pgroll"
