package file

import "sync"

// faultKind is a kind of file system call a test can make fail (see
// faults); the kinds match conformance.FaultOp.
type faultKind int

const (
	faultRead    faultKind = iota + 1 // opening an entry file to read it (Get, Has)
	faultWrite                        // renaming a written temp file over its entry file (Set)
	faultIterate                      // reading an entry file while Keys or All scan
)

// faults makes the next calls of a kind fail, for the tests of the store
// on a failing disk: the conformance suite's Faults subtests arm it
// through export_test.go. A Store's faults is nil outside those tests,
// and take on nil costs one comparison.
type faults struct {
	mu   sync.Mutex
	left map[faultKind]int
	err  map[faultKind]error
}

// arm makes the next n calls of kind k fail with err (n = 0: none).
func (f *faults) arm(k faultKind, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.left == nil {
		f.left, f.err = make(map[faultKind]int), make(map[faultKind]error)
	}
	f.left[k], f.err[k] = n, err
}

// take returns the error a call of kind k must fail with, or nil.
func (f *faults) take(k faultKind) error {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.left[k] <= 0 {
		return nil
	}
	f.left[k]--
	return f.err[k]
}
