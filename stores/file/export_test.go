package file

import "github.com/kvkit/kv/conformance"

// InjectFaults makes s fail as f is armed.
func InjectFaults(s *Store, f *conformance.FaultSet) {
	s.faults = func(k faultKind) error { return f.Take(conformance.FaultOp(k)) }
}

// Conditional reports whether the store has the conditional writes on
// this system.
const Conditional = conditionalSupported
