//go:build tools

// Package tools pins the Go programs the tests build (tests/tools/build.sh):
// actionlint, which lints .github/workflows in make test.
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
