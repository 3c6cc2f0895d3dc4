package sqlite_test

import (
	"testing"

	"github.com/kvkit/kv/internal/conditionaltest"
	"github.com/kvkit/kv/stores/sqlite"
)

// TestConditionalProcesses: four processes on one database file, each
// incrementing one counter 50 times with kv.Update and racing for 50
// SetIfAbsent keys, lose no increment and store each key once.
func TestConditionalProcesses(t *testing.T) {
	conditionaltest.Processes(t, conditionaltest.ProcessConfig{Procs: 4, Increments: 50, RaceKeys: 50},
		func(location string) (conditionaltest.Store, error) { return sqlite.Open(location + ".db") })
}
