package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedUpToDate fails when otelkv's combinations.go is not what
// capgen writes now: run go generate ./otelkv/.
func TestGeneratedUpToDate(t *testing.T) {
	want, err := source()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../combinations.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("otelkv/combinations.go is out of date: run go generate ./otelkv/")
	}
}
