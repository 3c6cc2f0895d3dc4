package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// Damage is one way to damage the stored form of an entry, as a failing
// disk or a foreign writer would, in a way the store's own checks are
// meant to find (a checksum, a format version, a type): Apply damages the
// entry under key at the location it was made for. The suite calls it
// with no store open there.
type Damage struct {
	Name  string // for the subtest's name, e.g. "value-checksum"
	Apply func(key string) error
}

// damaged runs one subtest per Damage of Config.NewDamagedStore; without
// it they are skipped.
func (s *suite) damaged(t *testing.T) {
	if s.cfg.NewDamagedStore == nil {
		t.Skip("Config.NewDamagedStore is not set: the store is not tested on damaged data")
	}
	if !s.caps.Persistent {
		t.Skip("Capabilities.Persistent is not declared: a location must keep its entries across a reopen to be damaged in between")
	}
	// The list of damages is the backend's: one call to learn their names.
	probe := s.newHarness(t)
	damages := openWith(t, probe, s.cfg.NewDamagedStore)
	if len(damages) == 0 {
		t.Fatal("Config.NewDamagedStore returned no Damage")
	}
	for i, d := range damages {
		if d.Name == "" || d.Apply == nil {
			t.Fatalf("Config.NewDamagedStore: Damage %d has no name or no Apply", i)
		}
		t.Run(d.Name, func(t *testing.T) {
			h := s.newHarness(t)
			testDamaged(t, h, openWith(t, h, s.cfg.NewDamagedStore)[i])
		})
	}
}

// The entries of a Damaged subtest: the one damaged and two beside it.
const damagedKey = "damaged"

var damagedOthers = map[string][]byte{"before": []byte("b"), "zafter": []byte("z")}

// testDamaged: an entry whose stored form is damaged is reported, with an
// error wrapping kv.ErrCorrupt, by Get and GetMany, and yielded as such
// an error by All, never as a value and never as a miss; the entries
// beside it read as before; a Set over it or a Delete of it repairs it.
func testDamaged(t *testing.T, h *harness, d Damage) {
	s := h.store()
	var opts []kv.SetOption
	if h.caps.TTL {
		// An expiry in the stored form, so that damage to it is damage
		// that a store without its own checks would report as a wrong
		// time.
		opts = append(opts, kv.WithTTL(time.Hour))
	}
	mustSet(t, h.ctx, s, damagedKey, []byte("a value long enough to damage in the middle"), opts...)
	for k, v := range damagedOthers {
		mustSet(t, h.ctx, s, k, v)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := d.Apply(damagedKey); err != nil {
		t.Fatalf("Damage %s: %v", d.Name, err)
	}
	s = h.store()
	v, err := s.Get(h.ctx, damagedKey)
	wantCorrupt(t, "Get of the damaged entry", err)
	if v != nil {
		t.Errorf("Get of the damaged entry returned a value %s", qv(v))
	}
	got, err := kv.GetMany(h.ctx, s, []string{damagedKey, "before"})
	wantCorrupt(t, "GetMany of the damaged entry and another", err)
	if _, ok := got[damagedKey]; ok {
		t.Errorf("GetMany returned the damaged entry's value %s", qv(got[damagedKey]))
	}
	checkDamagedAll(t, h, s)
	for k, v := range damagedOthers {
		wantValue(t, h.ctx, s, k, v)
	}
	mustSet(t, h.ctx, s, damagedKey, []byte("repaired"))
	wantValue(t, h.ctx, s, damagedKey, []byte("repaired"))
	mustSet(t, h.ctx, s, "before", []byte("b"))
	s.Close()
	if err := d.Apply("before"); err != nil {
		t.Fatalf("Damage %s: %v", d.Name, err)
	}
	s = h.store()
	if err := s.Delete(h.ctx, "before"); err != nil {
		t.Errorf("Delete of a damaged entry: %v", err)
	}
	wantMissing(t, h.ctx, s, "before")
	wantValue(t, h.ctx, s, "zafter", damagedOthers["zafter"])
}

// wantCorrupt fails t unless err wraps kv.ErrCorrupt.
func wantCorrupt(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, kv.ErrCorrupt) {
		t.Errorf("%s: got %v, want an error wrapping kv.ErrCorrupt", what, err)
	}
}

// checkDamagedAll: All yields an error wrapping kv.ErrCorrupt for the
// damaged entry (it may go on after it or stop), never the damaged entry
// as a value, and the others as they are when it goes on.
func checkDamagedAll(t *testing.T, h *harness, s store) {
	t.Helper()
	corrupt := 0
	for e, err := range s.All(h.ctx) {
		switch {
		case err != nil:
			wantCorrupt(t, "All over a damaged entry", err)
			corrupt++
		case e.Key == damagedKey:
			t.Errorf("All yielded the damaged entry as a value %s", qv(e.Value))
		case !bytes.Equal(e.Value, damagedOthers[e.Key]):
			t.Errorf("All yielded %s = %s beside a damaged entry", qk(e.Key), diffBytes(e.Value, damagedOthers[e.Key]))
		}
	}
	if corrupt == 0 {
		t.Error("All over a damaged entry yielded no error")
	}
}

// unopenable: Open on a location that cannot be opened (Config.
// NewUnopenableStore) fails, returns no store, and leaves the location as
// it was.
func testUnopenable(t *testing.T, h *harness) {
	if h.cfg.NewUnopenableStore == nil {
		t.Skip("Config.NewUnopenableStore is not set: a failing Open is not tested")
	}
	untouched := openWith(t, h, h.cfg.NewUnopenableStore)
	if h.open == nil || untouched == nil {
		t.Fatal("Config.NewUnopenableStore returned a nil Opener or check")
	}
	for range 2 { // and a second time: the first left nothing that helps
		s, err := h.open()
		if err == nil {
			s.Close()
			t.Fatal("Open of a location that cannot be opened: no error")
		}
	}
	if err := untouched(); err != nil {
		t.Errorf("a failed Open changed the location: %v", err)
	}
}

// UnopenableDir is for a NewUnopenableStore over a directory or a file:
// it returns a path below a regular file in a fresh temporary directory,
// which no Open can create, and the check that the temporary directory
// still holds that file, unchanged, and nothing else.
func UnopenableDir(t testing.TB) (path string, untouched func() error) {
	t.Helper()
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	content := []byte("a regular file where a directory would go\n")
	if err := os.WriteFile(blocker, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(blocker, "store"), func() error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		if len(entries) != 1 || entries[0].Name() != "file" {
			names := make([]string, 0, len(entries))
			for _, e := range entries {
				names = append(names, e.Name())
			}
			return fmt.Errorf("%s holds %q, want only the file %q", dir, names, "file")
		}
		got, err := os.ReadFile(blocker)
		if err != nil || !bytes.Equal(got, content) {
			return fmt.Errorf("the regular file %s was changed or removed (%v)", blocker, err)
		}
		return nil
	}
}
