package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestCommitterDecisions walks the committer through each of its steps,
// row by row: who leads, what queues, who is handed the turn, who may
// withdraw.
func TestCommitterDecisions(t *testing.T) {
	var c committer
	a, b, d, e := newSetReq("a", nil, nil), newSetReq("b", nil, nil), newSetReq("d", nil, nil), newSetReq("e", nil, nil)
	type lead struct{ lead, contended bool }
	try := func() any { l, c := c.tryLead(); return lead{l, c} }
	steps := []struct {
		name  string
		do    func() any
		want  any
		queue int
		busy  bool
	}{
		{"idle: a lone Set leads at once, uncontended", try, lead{true, false}, 0, true},
		{"busy: the next cannot", try, lead{false, false}, 0, true},
		{"nothing queued after one Set: idle", func() any { return c.handOff(1) }, (*setReq)(nil), 0, false},
		{"still uncontended", try, lead{true, false}, 0, true},
		{"a group of 5 leaves nothing queued: idle, but contended", func() any { return c.handOff(5) }, (*setReq)(nil), 0, false},
		{"so the next lone Set is told so", try, lead{true, true}, 0, true},
		{"a turn of one Set with nobody behind it ends the contention", func() any { return c.handOff(1) }, (*setReq)(nil), 0, false},
		{"idle: a Set that queues leads at once instead", func() any { return c.join(a) }, true, 0, true},
		{"busy: the next one queues", func() any { return c.join(b) }, false, 1, true},
		{"and the one after it", func() any { return c.join(d) }, false, 2, true},
		{"the leader of itself cannot withdraw", func() any { return c.withdraw(a) }, reqTaken, 2, true},
		{"a queued Set withdraws", func() any { return c.withdraw(d) }, reqQueued, 1, true},
		{"the turn goes to the oldest queued Set", func() any { return c.handOff(1) }, b, 1, true},
		{"chosen to lead, it cannot withdraw", func() any { return c.withdraw(b) }, reqLeading, 1, true},
		{"a Set arriving now queues behind it", func() any { return c.join(e) }, false, 2, true},
		{"the new leader takes the whole queue", func() any { return len(c.take()) }, 2, 0, true},
		{"taken, a Set cannot withdraw", func() any { return c.withdraw(e) }, reqTaken, 0, true},
		{"nothing queued: the committer is idle", func() any { return c.handOff(2) }, (*setReq)(nil), 0, false},
		{"and the next Set leads at once, told of the contention", try, lead{true, true}, 0, true},
	}
	for _, st := range steps {
		if got := st.do(); got != st.want {
			t.Fatalf("%s: got %v, want %v", st.name, got, st.want)
		}
		if len(c.queue) != st.queue || c.busy != st.busy {
			t.Fatalf("%s: queue %d busy %v, want %d %v", st.name, len(c.queue), c.busy, st.queue, st.busy)
		}
	}
}

// TestGroupCommitGroups runs 64 goroutines of Sets: every Set is stored,
// and they were committed in fewer transactions than Sets (one statement
// each before group commit: this fails on the old code).
func TestGroupCommitGroups(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const writers, each = 64, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Set(ctx, fmt.Sprintf("w%02d/%03d", w, i), []byte(fmt.Sprint(w, i))); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n, err := s.Len(ctx); err != nil || n != writers*each {
		t.Fatalf("Len = %d, %v; want %d", n, err, writers*each)
	}
	for w := range writers {
		k := fmt.Sprintf("w%02d/%03d", w, each-1)
		if v, err := s.Get(ctx, k); err != nil || string(v) != fmt.Sprint(w, each-1) {
			t.Fatalf("Get %s = %q, %v", k, v, err)
		}
	}
	if s.group.groups.Load() == 0 {
		t.Fatal("no two Sets of 64 writers were committed together")
	}
	t.Logf("%d Sets, %d of them in %d group transactions", writers*each, s.group.grouped.Load(), s.group.groups.Load())
}

// TestGroupMemberFails makes one key fail inside the database (a trigger
// aborts its insert) while 16 goroutines write: that Set fails, every
// other one succeeds and is stored, including those committed in the
// same group.
func TestGroupMemberFails(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.db.writer.ExecContext(ctx, `CREATE TRIGGER poison BEFORE INSERT ON kv
		WHEN NEW.key = CAST('poison' AS BLOB) BEGIN SELECT RAISE(ABORT, 'poisoned key'); END`); err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 40
	poisonErrs, otherErrs := writePoisoned(s, writers, each)
	if len(otherErrs) > 0 {
		t.Fatalf("%d Sets of good keys failed, the first: %v", len(otherErrs), otherErrs[0])
	}
	for _, err := range poisonErrs {
		if err == nil {
			t.Fatal("the poisoned Set succeeded")
		}
	}
	if _, err := s.Get(ctx, "poison"); err == nil {
		t.Fatal("the poisoned key is stored")
	}
	want := writers*each - len(poisonErrs)
	if n, err := s.Len(ctx); err != nil || n != want {
		t.Fatalf("Len = %d, %v; want %d", n, err, want)
	}
	if s.group.split.Load() == 0 {
		t.Fatal("no group held a poisoned Set: the test proved nothing")
	}
	t.Logf("%d poisoned Sets failed, %d groups split, %d committed", len(poisonErrs), s.group.split.Load(), s.group.groups.Load())
}

// writePoisoned runs writers goroutines of each Sets (in a quarter of the
// goroutines, one Set in five is on the key "poison") and returns the
// outcomes of the poisoned Sets and the errors of the others.
func writePoisoned(s *Store, writers, each int) (poisonErrs, otherErrs []error) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				k := fmt.Sprintf("w%02d/%03d", w, i)
				if w%4 == 0 && i%5 == 0 {
					k = "poison"
				}
				err := s.Set(ctx, k, []byte("v"))
				mu.Lock()
				switch {
				case k == "poison":
					poisonErrs = append(poisonErrs, err)
				case err != nil:
					otherErrs = append(otherErrs, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return poisonErrs, otherErrs
}

// TestGroupCommitFails makes the group's COMMIT fail (a deferred foreign
// key that no row satisfies until COMMIT): every member of the group gets
// the error, and none of them is stored.
func TestGroupCommitFails(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open(driverName, "file:"+filepath.Join(dir, "kv.db")+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE parent (key BLOB PRIMARY KEY)`,
		`CREATE TABLE kv (key BLOB NOT NULL PRIMARY KEY REFERENCES parent (key) DEFERRABLE INITIALLY DEFERRED,
			expires INTEGER, value BLOB NOT NULL)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(db, "kv")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	batch := []*setReq{newSetReq("a", []byte("1"), nil), newSetReq("b", []byte("2"), nil), newSetReq("c", []byte("3"), nil)}
	s.commitBatch(ctx, batch)
	for _, r := range batch {
		if r.err == nil {
			t.Fatalf("%s: committed although the COMMIT must fail", r.args[0])
		}
	}
	if n, err := s.Len(ctx); err != nil || n != 0 {
		t.Fatalf("Len = %d, %v; want 0", n, err)
	}
	// The connection is usable afterwards: no transaction was left open.
	if _, err := db.ExecContext(ctx, `INSERT INTO parent VALUES (CAST('z' AS BLOB))`); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "z", []byte("ok")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Len(ctx); err != nil || n != 1 {
		t.Fatalf("Len = %d, %v; want 1", n, err)
	}
}

// TestGroupCancelledWaiter cancels a Set while it queues behind a group
// that cannot commit yet (another connection holds the write lock): it
// returns the context's error and is never written, while the Set it
// queued behind is committed once the lock is free.
func TestGroupCancelledWaiter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kv.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := sql.Open(driverName, "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, `INSERT INTO kv (key, value) VALUES (CAST('held' AS BLOB), x'')`); err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { first <- s.Set(ctx, "first", []byte("1")) }()
	for !s.isBusy() { // until the first Set leads, waiting for the lock
		time.Sleep(time.Millisecond)
	}
	cctx, cancel := context.WithCancel(ctx)
	second := make(chan error, 1)
	go func() { second <- s.Set(cctx, "second", []byte("2")) }()
	for s.queued() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Set = %v, want context.Canceled", err)
	}
	if err := lock.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatalf("first Set: %v", err)
	}
	if _, err := s.Get(ctx, "second"); err == nil {
		t.Fatal("the cancelled Set was written")
	}
	if _, err := s.Get(ctx, "first"); err != nil {
		t.Fatalf("first: %v", err)
	}
}

func (s *Store) isBusy() bool {
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	return s.group.busy
}

func (s *Store) queued() int {
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	return len(s.group.queue)
}
