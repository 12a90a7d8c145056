//go:build tools

// Package tools pins migrate for the benchmarks (built by tests/tools/build.sh migrate).
package tools

import _ "github.com/golang-migrate/migrate/v4/cmd/migrate"
