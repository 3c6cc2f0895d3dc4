package conformance

import (
	"sync"
)

// refInjector is the reference store's Faults: counts of operations to
// fail, by kind. A nil *refInjector injects nothing.
type refInjector struct {
	mu   sync.Mutex
	left map[FaultOp]int
	err  map[FaultOp]error
}

// fail is the Faults the reference store gives the suite.
func (f *refInjector) fail(op FaultOp, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.left == nil {
		f.left, f.err = make(map[FaultOp]int), make(map[FaultOp]error)
	}
	f.left[op], f.err[op] = n, err
}

// take returns the error to fail an operation of kind op with, and counts
// it; nil when none is armed.
func (f *refInjector) take(op FaultOp) error {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.left[op] <= 0 {
		return nil
	}
	f.left[op]--
	return f.err[op]
}
