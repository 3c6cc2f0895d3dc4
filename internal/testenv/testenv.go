// Package testenv holds the one rule the tests follow when something they
// need from outside is missing (a test server's address, a binary): the
// test is skipped with a message that names what is missing, unless CI is
// set, when it fails instead, so that CI can never pass by skipping.
package testenv

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

// InCI reports whether the tests run under CI (the CI variable is set).
func InCI() bool { return os.Getenv("CI") != "" }

// Server returns the value of the environment variable name, which tells
// the tests where a server is (see scripts/test). When it is not set the
// test is skipped, or fails under CI.
func Server(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Unavailable(t, "%s is not set: start the test servers (scripts/test, or tools/testservers -print)", name)
	}
	return v
}

// Unavailable skips the test with the message, or fails it under CI.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s (CI is set: a missing requirement is a failure)", msg)
	}
	t.Skip(msg)
}

// ExamplesNeed makes the test binary skip the named examples (through
// -test.skip) when the environment variable name, which tells them where
// a test server is, is not set: an example cannot skip itself, and one
// with an Output comment always runs. Under CI nothing is skipped, so that
// an example missing its server fails. Call it from TestMain, before
// m.Run.
func ExamplesNeed(name string, examples ...string) {
	if os.Getenv(name) != "" || InCI() || len(examples) == 0 {
		return
	}
	if !flag.Parsed() {
		flag.Parse()
	}
	f := flag.Lookup("test.skip")
	if f == nil {
		return
	}
	pattern := "^(" + strings.Join(examples, "|") + ")$"
	if v := f.Value.String(); v != "" {
		pattern = v + "|" + pattern
	}
	if err := f.Value.Set(pattern); err != nil {
		panic(err)
	}
	fmt.Fprintf(os.Stderr, "testenv: %s is not set: skipping %s\n", name, strings.Join(examples, ", "))
}
