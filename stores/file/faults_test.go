package file_test

import (
	"path/filepath"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/stores/file"
)

// newFaultyStore is conformance.Config.NewFaultyStore for stores opened
// with opts: every store opened on the location fails as the suite arms.
func newFaultyStore(opts []file.Option) func(t testing.TB) (conformance.Opener, conformance.Faults) {
	return func(t testing.TB) (conformance.Opener, conformance.Faults) {
		dir := filepath.Join(t.TempDir(), "store")
		f := new(conformance.FaultSet)
		return func() (kv.Store[string, []byte], error) {
			s, err := file.Open(dir, opts...)
			if err == nil {
				file.InjectFaults(s, f)
			}
			return s, err
		}, f.Arm
	}
}
