//go:build unix

package file

import (
	"context"
	"testing"
	"time"
)

// TestPlainWritesWaitForConditional: while a conditional write holds an
// entry's lock, a Set or Delete of the entry waits for it (so it cannot
// land between the check and the rename and be lost), and a Set of an
// entry of another stripe does not.
func TestPlainWritesWaitForConditional(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other := "other"
	for lockName(fileName(other)) == lockName(fileName("k")) {
		other += "+"
	}
	for _, write := range []struct {
		name string
		do   func() error
	}{
		{"Set", func() error { return s.Set(ctx, "k", []byte("v")) }},
		{"Delete", func() error { return s.Delete(ctx, "k") }},
	} {
		l, err := s.lockEntry(fileName("k"), lockExclusive)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- write.do() }()
		if err := s.Set(ctx, other, []byte("v")); err != nil {
			t.Fatalf("Set of a key of another stripe: %v", err)
		}
		select {
		case err := <-done:
			l.unlock()
			t.Errorf("%s returned (%v) while the entry's exclusive lock was held", write.name, err)
			continue
		case <-time.After(100 * time.Millisecond):
		}
		l.unlock()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", write.name, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s still waiting after the lock was released", write.name)
		}
	}
}
