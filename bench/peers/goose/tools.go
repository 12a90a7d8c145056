//go:build tools

// Package tools pins goose for the benchmarks (built by tests/tools/build.sh goose).
package tools

import _ "github.com/pressly/goose/v3/cmd/goose"
