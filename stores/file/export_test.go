package file

import "github.com/kvkit/kv/conformance"

// FaultsFor is a conformance.Faults over f.
func FaultsFor(f *Faults) conformance.Faults {
	return func(op conformance.FaultOp, n int, err error) { (*faults)(f).arm(faultKind(op), n, err) }
}

// Faults is the test-visible name of faults.
type Faults faults

// InjectFaults makes s fail as f is armed.
func InjectFaults(s *Store, f *Faults) { s.faults = (*faults)(f) }
