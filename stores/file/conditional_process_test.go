//go:build unix

package file_test

import (
	"testing"

	"github.com/kvkit/kv/internal/conditionaltest"
	"github.com/kvkit/kv/stores/file"
)

// TestConditionalProcesses: four processes on one directory, each
// incrementing one counter 50 times with kv.Update and racing for 50
// SetIfAbsent keys, lose no increment and store each key once.
func TestConditionalProcesses(t *testing.T) {
	conditionaltest.Processes(t, conditionaltest.ProcessConfig{Procs: 4, Increments: 50, RaceKeys: 50},
		func(dir string) (conditionaltest.Store, error) { return file.Open(dir) })
}
