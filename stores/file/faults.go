package file

// faultKind is a kind of file system call a test can make fail (see
// Store.fault); the kinds have the values of conformance.FaultOp.
type faultKind int

const (
	faultRead    faultKind = iota + 1 // opening an entry file to read it (Get, Has)
	faultWrite                        // writing a temp file (Set), removing an entry file (Delete)
	faultIterate                      // reading an entry file while Keys or All scan
)

// fault returns the error a file system call of kind k must fail with, for
// the tests of the store on a failing disk: the conformance suite's
// Faults subtests arm it through export_test.go. Outside those tests
// s.faults is nil and fault costs one comparison.
func (s *Store) fault(k faultKind) error {
	if s.faults == nil {
		return nil
	}
	return s.faults(k)
}

// removeFile removes the file name, or fails with the armed faultWrite.
func (s *Store) removeFile(name string) error {
	if err := s.fault(faultWrite); err != nil {
		return err
	}
	return s.root.Remove(name)
}
