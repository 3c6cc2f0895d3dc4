package file

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// TestRemoveIfSame checks the step DeleteExpired and eviction rely on: a
// file replaced after the caller looked at it is put back, not removed.
func TestRemoveIfSame(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Set(ctx, "k", []byte("old")); err != nil {
		t.Fatal(err)
	}
	old, err := s.readFile("kk.kv", false)
	if err != nil {
		t.Fatal(err)
	}
	// Another writer replaces the entry after the look.
	if err := s.Set(ctx, "k", []byte("new")); err != nil {
		t.Fatal(err)
	}
	removed, err := s.removeIfSame("kk.kv", old.info)
	if removed || err != nil {
		t.Fatalf("removeIfSame of a replaced file = %v, %v; want false, nil", removed, err)
	}
	if got, err := s.Get(ctx, "k"); string(got) != "new" || err != nil {
		t.Fatalf("Get after removeIfSame of a replaced file = %q, %v; want the new value", got, err)
	}
	names, _ := s.readNames()
	names = slices.DeleteFunc(names, func(n string) bool { return n == LockDir })
	if len(names) != 1 {
		t.Errorf("files left: %q", names)
	}

	cur, err := s.readFile("kk.kv", false)
	if err != nil {
		t.Fatal(err)
	}
	removed, err = s.removeIfSame("kk.kv", cur.info)
	if !removed || err != nil {
		t.Fatalf("removeIfSame of the file looked at = %v, %v; want true, nil", removed, err)
	}
	if _, err := os.Stat(dir + "/kk.kv"); !os.IsNotExist(err) {
		t.Errorf("file still there: %v", err)
	}
	removed, err = s.removeIfSame("kk.kv", cur.info)
	if removed || err != nil {
		t.Errorf("removeIfSame of a missing file = %v, %v; want false, nil", removed, err)
	}
}

func TestTempAge(t *testing.T) {
	fresh := tempName()
	now := time.Now()
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{fresh, true},
		{".tmp-zz-1", false},
		{".tmp-123", false},
		{"kk.kv", false},
	} {
		age, ok := tempAge(tt.name, now)
		if ok != tt.ok || ok && (age < 0 || age > time.Second) {
			t.Errorf("tempAge(%q) = %v, %v", tt.name, age, ok)
		}
	}
}

// TestDeleteExpiredRacingSet races DeleteExpired with a Set that replaces
// an expired entry by a live one: the live entry must survive every time.
func TestDeleteExpiredRacingSet(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	const keys = 20
	for round := range 20 {
		for i := range keys {
			if err := s.Set(ctx, fmt.Sprint(i), []byte("old"), kv.WithExpiresAt(time.Unix(1, 0))); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			for range 3 {
				if _, err := s.DeleteExpired(ctx); err != nil {
					t.Error(err)
				}
			}
		})
		for i := range keys {
			if err := s.Set(ctx, fmt.Sprint(i), []byte("new")); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		for i := range keys {
			if got, err := s.Get(ctx, fmt.Sprint(i)); err != nil || string(got) != "new" {
				t.Fatalf("round %d: Get(%d) = %q, %v; the live entry was removed", round, i, got, err)
			}
		}
	}
}
