package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// This file is a small, correct reference store (a map under a mutex) that
// the suite's own tests run Run on, and the faults that break it in one
// way each, to show that the suite notices.

// fault is one way to break the reference store.
type fault string

const (
	ignoreTTL            fault = "ignore-ttl"              // Set drops every expiry
	negativeTTLAccepted  fault = "negative-ttl-accepted"   // a negative TTL means no expiry
	pastExpiresAtVisible fault = "past-expires-at-visible" // an expiry in the past means none
	optionExpiresNow     fault = "option-expires-now"      // WithTTL(0) expires at once
	overwriteKeepsTTL    fault = "overwrite-keeps-ttl"     // Set without options keeps the old expiry
	expiresAtNotReported fault = "expires-at-not-reported" // All yields the zero ExpiresAt
	keysIncludeExpired   fault = "keys-include-expired"    // Keys yields expired keys
	lenCountsExpired     fault = "len-counts-expired"      // Len counts expired entries
	missNilError         fault = "miss-nil-error"          // Get of an absent key: nil, nil
	emptyIsMissing       fault = "empty-is-missing"        // Get of an empty value: ErrNotFound
	deleteAbsentErrors   fault = "delete-absent-errors"    // Delete of an absent key fails
	mangleBinary         fault = "mangle-binary"           // values go through a UTF-8 string
	truncateLarge        fault = "truncate-large"          // values are cut at 1 MiB
	aliasesInput         fault = "aliases-input"           // Set keeps the caller's slice
	aliasesOutput        fault = "aliases-output"          // Get returns the stored slice
	caseInsensitiveKeys  fault = "case-insensitive-keys"   // keys are lowercased
	escapeCollision      fault = "escape-collision"        // "/" is stored as "%2F", unescaped
	limitsIgnored        fault = "limits-ignored"          // declared limits are not enforced
	limitsWriteAnyway    fault = "limits-write-anyway"     // oversize is written, then refused
	duplicateKeys        fault = "duplicate-keys"          // iterators yield their first item twice
	ignoreYieldFalse     fault = "ignore-yield-false"      // iterators go on after yield said stop
	lockHeldOnBreak      fault = "lock-held-on-break"      // breaking out leaves the lock held
	lockHeldWhileYield   fault = "lock-held-while-yield"   // iterators yield under the lock
	ignoreContext        fault = "ignore-context"          // no method looks at ctx
	writeThenCtxErr      fault = "write-then-ctx-err"      // Set writes, then reports ctx.Err
	openAfterClose       fault = "open-after-close"        // Close changes nothing
	closeTwiceErrors     fault = "close-twice-errors"      // a second Close fails
	lostUpdates          fault = "lost-updates"            // Set is a racy read-copy-write
	getManyExpired       fault = "get-many-expired"        // GetMany returns expired entries
	setManyNoExpiry      fault = "set-many-no-expiry"      // SetMany drops ExpiresAt
	deleteManyFirstOnly  fault = "delete-many-first-only"  // DeleteMany deletes one key
	scanLikeWildcard     fault = "scan-like-wildcard"      // Scan treats _ and % as LIKE does
	reopenDropsTTL       fault = "reopen-drops-ttl"        // reopening forgets expiries
	snapshotHandles      fault = "snapshot-handles"        // a second open handle gets a copy
	getHangs             fault = "get-hangs"               // Get waits for Close, ignoring ctx
	closeRaces           fault = "close-races"             // Close sets a plain bool that calls read
	scanIncludesExpired  fault = "scan-includes-expired"   // Scan yields expired entries
	expiresAtRederived   fault = "expires-at-rederived"    // All reports now + the original TTL
	ttlSlidesOnGet       fault = "ttl-slides-on-get"       // Get restarts the entry's TTL
	expiresEarly         fault = "expires-early"           // an entry is gone at half its TTL
	emptyKeyRefused      fault = "empty-key-refused"       // Set of the empty key fails
	numericKeysMerged    fault = "numeric-keys-merged"     // keys that parse as numbers are stored canonical
	longKeysCut          fault = "long-keys-cut"           // keys are stored cut to 1 KiB
	setManyChecksFirst   fault = "set-many-checks-first"   // SetMany checks the limits of its first entry only
	expiresAtLate        fault = "expires-at-late"         // All reports expiry times half a second late
	iterateIgnoresCancel fault = "iterate-ignores-cancel"  // Keys and All run on after ctx is cancelled
	emptyBatchUnchecked  fault = "empty-batch-unchecked"   // an empty batch returns nil, closed or not
	escapeWithoutMarker  fault = "escape-without-marker"   // keys are stored with bytes other than a-z0-9 as bare hex
	faultSwallowed       fault = "fault-swallowed"         // a Set whose write fails returns nil
	getManyFaultMissing  fault = "get-many-fault-missing"  // a GetMany whose read fails reports the keys missing
	faultWritesAnyway    fault = "fault-writes-anyway"     // a Set whose write fails writes, then reports it
	faultIterationGoesOn fault = "fault-iteration-goes-on" // an iteration goes on after yielding its error
	readOnlyWrites       fault = "read-only-writes"        // a read-only store writes like any other
	readOnlyDeletes      fault = "read-only-deletes"       // a read-only store refuses only the writes that set
	damageUnchecked      fault = "damage-unchecked"        // a damaged entry reads as its damaged value
	damageReadsMissing   fault = "damage-reads-missing"    // a damaged entry reads as absent
	unopenableOpens      fault = "unopenable-opens"        // Open of an unopenable location makes a new one
	unopenableLeaves     fault = "unopenable-leaves"       // a failed Open leaves something behind
	cancelTearsWrite     fault = "cancel-tears-write"      // Set writes half the value, then looks at ctx again
	deleteFaultSwallowed fault = "delete-fault-swallowed"  // a Delete whose write fails returns nil
	faultReportedOnce    fault = "fault-reported-once"     // of several failing Sets, only the first reports it
)

// shape is which optional interfaces the reference store has.
type shape int

const (
	plain      shape = iota // kv.Store only
	getterOnly              // + kv.BatchGetter
	batch                   // + the three batch interfaces
	full                    // + the three batch interfaces and kv.PrefixScanner
	scanOnly                // + kv.PrefixScanner
)

// refConfig describes one reference store set-up.
type refConfig struct {
	shape    shape
	caps     Capabilities
	faults   []fault
	maxKey   int  // enforced key limit (0: none)
	maxValue int  // enforced value limit (0: none)
	volatile bool // every open starts empty (the store is not persistent)
	oneLoc   bool // every NewStore returns the same location
}

// fullCaps is what the unbroken reference store of shape full declares.
var fullCaps = Capabilities{TTL: true, Persistent: true, SharedHandles: true, Batch: true, PrefixScan: true, Conditional: true}

func (rc refConfig) config() Config {
	shared := newLocation()
	newLoc := func(t testing.TB) *refLocation {
		loc := newLocation()
		if rc.oneLoc {
			loc = shared
		}
		// The suite must close its stores before the location goes.
		t.Cleanup(func() { loc.removed.Store(true) })
		return loc
	}
	opener := func(loc *refLocation, inj *FaultSet) Opener {
		return func() (kv.Store[string, []byte], error) {
			l := loc
			if rc.volatile {
				l = newLocation()
			}
			return rc.openInjected(l, inj), nil
		}
	}
	location := func(t testing.TB, inj *FaultSet) Opener { return opener(newLoc(t), inj) }
	return Config{
		Capabilities: rc.caps,
		NewStore:     func(t testing.TB) Opener { return location(t, nil) },
		NewFaultyStore: func(t testing.TB) (Opener, Faults) {
			inj := &FaultSet{}
			return location(t, inj), inj.Arm
		},
		NewReadOnlyStore: func(t testing.TB) (Opener, Opener) {
			write := location(t, nil)
			read := func() (kv.Store[string, []byte], error) {
				s, err := write()
				if err == nil {
					s.(interface{ ref() *refStore }).ref().readOnly = true
				}
				return s, err
			}
			return write, read
		},
		NewDamagedStore: func(t testing.TB) (Opener, []Damage) {
			loc := newLoc(t)
			return opener(loc, nil), []Damage{{Name: "flipped-byte", Apply: loc.damage}}
		},
		NewUnopenableStore: func(t testing.TB) (Opener, func() error) {
			var created atomic.Bool
			open := func() (kv.Store[string, []byte], error) {
				switch {
				case rc.hasFault(unopenableOpens):
					created.Store(true)
					return rc.open(newLoc(t)), nil
				case rc.hasFault(unopenableLeaves):
					created.Store(true)
				}
				return nil, errors.New("kv/ref: open: the location cannot be opened")
			}
			return open, func() error {
				if created.Load() {
					return errors.New("a location was made")
				}
				return nil
			}
		},
	}
}

func (rc refConfig) hasFault(f fault) bool { return slices.Contains(rc.faults, f) }

// damage flips a byte of the value stored under key and marks it damaged,
// as a checksum would find it.
func (loc *refLocation) damage(key string) error {
	loc.mu.Lock()
	defer loc.mu.Unlock()
	e, ok := loc.entries[key]
	if !ok || len(e.value) == 0 {
		return fmt.Errorf("no value under %q to damage", key)
	}
	e.value = bytes.Clone(e.value)
	e.value[len(e.value)/2] ^= 0x20
	e.damaged = true
	loc.entries[key] = e
	return nil
}

// refLocation is where reference stores keep their entries; handles opened
// on one location share it.
type refLocation struct {
	mu      sync.Mutex
	entries map[string]refEntry
	handles atomic.Int32 // open handles
	removed atomic.Bool  // set by NewStore's cleanup
}

type refEntry struct {
	value     []byte
	expiresAt time.Time
	setAt     time.Time // when it was written
	key       string    // the caller's key, for the faults that lose it
	damaged   bool      // by refLocation.damage
}

func newLocation() *refLocation { return &refLocation{entries: make(map[string]refEntry)} }

// refStore is one handle on a location.
type refStore struct {
	loc      *refLocation
	inject   *FaultSet // nil: no injected faults
	faults   map[fault]bool
	maxKey   int
	maxValue int
	closed   atomic.Bool
	done     chan struct{} // closed by the first Close
	doneOnce sync.Once

	closedRacy    bool        // closed, without synchronization, for closeRaces
	readOnly      bool        // every write fails with kv.ErrReadOnly
	faultReported atomic.Bool // for faultReportedOnce
}

// corrupt is the error for a damaged entry, unless a fault hides it (a
// nil error: the damaged value; a miss).
func (s *refStore) corrupt(op, key string) error {
	switch {
	case s.faults[damageUnchecked]:
		return nil
	case s.faults[damageReadsMissing]:
		return fmt.Errorf("kv/ref: %s %q: %w", op, key, kv.ErrNotFound)
	}
	return fmt.Errorf("kv/ref: %s %q: %w", op, key, kv.ErrCorrupt)
}

func (s *refStore) ref() *refStore { return s }

func (rc refConfig) open(loc *refLocation) kv.Store[string, []byte] {
	return rc.openInjected(loc, nil)
}

// openInjected is open with the faults of inj (nil: none).
func (rc refConfig) openInjected(loc *refLocation, inj *FaultSet) kv.Store[string, []byte] {
	s := &refStore{loc: loc, inject: inj, faults: make(map[fault]bool), maxKey: rc.maxKey, maxValue: rc.maxValue,
		done: make(chan struct{})}
	for _, f := range rc.faults {
		s.faults[f] = true
	}
	loc.mu.Lock()
	if s.faults[reopenDropsTTL] {
		for k, e := range loc.entries {
			e.expiresAt = time.Time{}
			loc.entries[k] = e
		}
	}
	if s.faults[snapshotHandles] && loc.handles.Load() > 0 {
		s.loc = &refLocation{entries: maps.Clone(loc.entries)}
	}
	loc.handles.Add(1)
	loc.mu.Unlock()
	switch rc.shape {
	case getterOnly:
		return refGetter{s}
	case batch:
		return refBatch{s}
	case full:
		return refFull{s}
	case scanOnly:
		return refScanner{s}
	}
	return s
}

func (s *refStore) check(ctx context.Context, op string) error {
	if s.faults[closeRaces] && s.closedRacy {
		return fmt.Errorf("kv/ref: %s: %w", op, kv.ErrClosed)
	}
	if s.closed.Load() && !s.faults[openAfterClose] {
		return fmt.Errorf("kv/ref: %s: %w", op, kv.ErrClosed)
	}
	if err := ctx.Err(); err != nil && !s.faults[ignoreContext] {
		return fmt.Errorf("kv/ref: %s: %w", op, err)
	}
	return nil
}

// checkWrite is check for a write (setting when set, else deleting):
// kv.ErrReadOnly on a read-only store.
func (s *refStore) checkWrite(ctx context.Context, op string, set bool) error {
	if err := s.check(ctx, op); err != nil {
		return err
	}
	if s.readOnly && !s.faults[readOnlyWrites] && (set || !s.faults[readOnlyDeletes]) {
		return fmt.Errorf("kv/ref: %s: %w", op, kv.ErrReadOnly)
	}
	return nil
}

// key maps a caller's key to the stored one; unkey maps it back.
func (s *refStore) key(k string) string {
	switch {
	case s.faults[caseInsensitiveKeys]:
		return strings.ToLower(k)
	case s.faults[escapeCollision]:
		return strings.ReplaceAll(k, "/", "%2F")
	case s.faults[longKeysCut] && len(k) > 1<<10:
		return k[:1<<10]
	case s.faults[numericKeysMerged]:
		if f, err := strconv.ParseFloat(k, 64); err == nil {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
	case s.faults[escapeWithoutMarker]:
		var b strings.Builder
		for i := 0; i < len(k); i++ {
			if c := k[i]; 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "%02x", c)
			}
		}
		return b.String()
	}
	return k
}

func (s *refStore) unkey(k string, e refEntry) string {
	switch {
	case s.faults[escapeCollision]:
		return strings.ReplaceAll(k, "%2F", "/")
	case s.faults[longKeysCut] || s.faults[numericKeysMerged] || s.faults[escapeWithoutMarker]:
		return e.key
	}
	return k
}

func (s *refStore) in(v []byte) []byte {
	switch {
	case s.faults[aliasesInput]:
		return v
	case s.faults[mangleBinary]:
		return []byte(strings.ToValidUTF8(string(v), "?"))
	case s.faults[truncateLarge] && len(v) > 1<<20:
		return bytes.Clone(v[:1<<20])
	}
	return bytes.Clone(v)
}

func (s *refStore) out(v []byte) []byte {
	if s.faults[aliasesOutput] {
		return v
	}
	return append([]byte{}, v...)
}

// live returns the entry under the stored key k if it is there and not
// expired. The caller holds loc.mu.
func (s *refStore) live(k string, now time.Time) (refEntry, bool) {
	e, ok := s.loc.entries[k]
	if !ok || kv.Expired(e.expiresAt, now) {
		return refEntry{}, false
	}
	if s.faults[expiresEarly] && !e.expiresAt.IsZero() && kv.Expired(e.setAt.Add(e.expiresAt.Sub(e.setAt)/2), now) {
		return refEntry{}, false
	}
	return e, true
}

func (s *refStore) Get(ctx context.Context, key string) ([]byte, error) {
	if s.faults[getHangs] {
		<-s.done
	}
	if err := s.check(ctx, "get"); err != nil {
		return nil, err
	}
	if err := s.inject.Take(FaultRead); err != nil {
		return nil, fmt.Errorf("kv/ref: get %q: %w", key, err)
	}
	s.loc.mu.Lock()
	now := time.Now()
	e, ok := s.live(s.key(key), now)
	if ok && s.faults[ttlSlidesOnGet] && !e.expiresAt.IsZero() {
		e.expiresAt, e.setAt = now.Add(e.expiresAt.Sub(e.setAt)), now
		s.loc.entries[s.key(key)] = e
	}
	s.loc.mu.Unlock()
	if !ok {
		if s.faults[missNilError] {
			return nil, nil
		}
		return nil, fmt.Errorf("kv/ref: get %q: %w", key, kv.ErrNotFound)
	}
	if len(e.value) == 0 && s.faults[emptyIsMissing] {
		return nil, fmt.Errorf("kv/ref: get %q: %w", key, kv.ErrNotFound)
	}
	if e.damaged {
		if err := s.corrupt("get", key); err != nil {
			return nil, err
		}
	}
	return s.out(e.value), nil
}

func (s *refStore) Has(ctx context.Context, key string) (bool, error) {
	if err := s.check(ctx, "has"); err != nil {
		return false, err
	}
	if err := s.inject.Take(FaultRead); err != nil {
		return false, fmt.Errorf("kv/ref: has %q: %w", key, err)
	}
	s.loc.mu.Lock()
	defer s.loc.mu.Unlock()
	_, ok := s.live(s.key(key), time.Now())
	return ok, nil
}

func (s *refStore) Set(ctx context.Context, key string, value []byte, opts ...kv.SetOption) error {
	if !s.faults[writeThenCtxErr] {
		if err := s.checkWrite(ctx, "set", true); err != nil {
			return err
		}
	}
	if key == "" && s.faults[emptyKeyRefused] {
		return errors.New("kv/ref: set: empty key")
	}
	now := time.Now()
	o, err := kv.NewSetOptions(now, opts...)
	if err != nil && !s.faults[negativeTTLAccepted] {
		return fmt.Errorf("kv/ref: set %q: %w", key, err)
	}
	exp := o.ExpiresAt
	switch {
	case s.faults[ignoreTTL]:
		exp = time.Time{}
	case s.faults[pastExpiresAtVisible] && !exp.IsZero() && exp.Before(now):
		exp = time.Time{}
	case s.faults[optionExpiresNow] && len(opts) > 0 && exp.IsZero():
		exp = now
	}
	tooLarge := (s.maxKey > 0 && len(key) > s.maxKey) || (s.maxValue > 0 && len(value) > s.maxValue)
	if tooLarge && !s.faults[limitsIgnored] && !s.faults[limitsWriteAnyway] {
		return fmt.Errorf("kv/ref: set %q: %w", key, kv.ErrTooLarge)
	}
	k := s.key(key)
	if s.faults[lostUpdates] {
		s.loc.mu.Lock()
		m := maps.Clone(s.loc.entries)
		s.loc.mu.Unlock()
		time.Sleep(time.Microsecond)
		m[k] = refEntry{value: s.in(value), expiresAt: exp, setAt: now, key: key}
		s.loc.mu.Lock()
		s.loc.entries = m
		s.loc.mu.Unlock()
		return nil
	}
	injected := s.inject.Take(FaultWrite)
	if injected != nil && !s.faults[faultWritesAnyway] {
		if s.faults[faultSwallowed] || s.faults[faultReportedOnce] && s.faultReported.Swap(true) {
			return nil
		}
		return fmt.Errorf("kv/ref: set %q: %w", key, injected)
	}
	if s.faults[cancelTearsWrite] {
		s.loc.mu.Lock()
		s.loc.entries[k] = refEntry{value: s.in(value[:len(value)/2]), expiresAt: exp, setAt: now, key: key}
		s.loc.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("kv/ref: set %q: %w", key, err)
		}
	}
	s.loc.mu.Lock()
	if old, ok := s.loc.entries[k]; ok && len(opts) == 0 && s.faults[overwriteKeepsTTL] {
		exp = old.expiresAt
	}
	s.loc.entries[k] = refEntry{value: s.in(value), expiresAt: exp, setAt: now, key: key}
	s.loc.mu.Unlock()
	if injected != nil {
		return fmt.Errorf("kv/ref: set %q: %w", key, injected)
	}
	if tooLarge {
		return fmt.Errorf("kv/ref: set %q: %w", key, kv.ErrTooLarge)
	}
	if s.faults[writeThenCtxErr] {
		return s.checkWrite(ctx, "set", true)
	}
	return nil
}

func (s *refStore) Delete(ctx context.Context, key string) error {
	if err := s.checkWrite(ctx, "delete", false); err != nil {
		return err
	}
	if err := s.inject.Take(FaultWrite); err != nil {
		if s.faults[deleteFaultSwallowed] {
			return nil
		}
		return fmt.Errorf("kv/ref: delete %q: %w", key, err)
	}
	s.loc.mu.Lock()
	defer s.loc.mu.Unlock()
	k := s.key(key)
	if _, ok := s.live(k, time.Now()); !ok && s.faults[deleteAbsentErrors] {
		return fmt.Errorf("kv/ref: delete %q: %w", key, kv.ErrNotFound)
	}
	delete(s.loc.entries, k)
	return nil
}

func (s *refStore) Len(ctx context.Context) (int, error) {
	if err := s.check(ctx, "len"); err != nil {
		return 0, err
	}
	s.loc.mu.Lock()
	defer s.loc.mu.Unlock()
	now, n := time.Now(), 0
	for _, e := range s.loc.entries {
		if !kv.Expired(e.expiresAt, now) || s.faults[lenCountsExpired] {
			n++
		}
	}
	return n, nil
}

func (s *refStore) Clear(ctx context.Context) error {
	if err := s.checkWrite(ctx, "clear", false); err != nil {
		return err
	}
	s.loc.mu.Lock()
	defer s.loc.mu.Unlock()
	clear(s.loc.entries)
	return nil
}

func (s *refStore) Keys(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for e, err := range s.iterate(ctx, "keys", "", s.faults[keysIncludeExpired]) {
			if !yield(e.Key, err) && !s.faults[ignoreYieldFalse] {
				return
			}
		}
	}
}

func (s *refStore) All(ctx context.Context) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.iterate(ctx, "all", "", false)
}

func (s *refStore) scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.iterate(ctx, "scan", prefix, s.faults[scanIncludesExpired])
}

// iterate yields the live entries whose stored key starts with prefix,
// from a snapshot, so that the loop body may use the store.
func (s *refStore) iterate(ctx context.Context, op, prefix string, withExpired bool) iter.Seq2[kv.Entry[string, []byte], error] {
	return func(yield func(kv.Entry[string, []byte], error) bool) {
		if err := s.check(ctx, op); err != nil {
			yield(kv.Entry[string, []byte]{}, err)
			return
		}
		s.loc.mu.Lock()
		locked := true
		unlock := func() {
			if locked {
				s.loc.mu.Unlock()
				locked = false
			}
		}
		now := time.Now()
		var entries []kv.Entry[string, []byte]
		damaged := make(map[string]error)
		for k, e := range s.loc.entries {
			mk := k // the key the prefix is matched against
			if s.faults[escapeWithoutMarker] {
				mk = e.key // only the stored names collide, as in a file store
			}
			if !s.matches(mk, prefix) || (kv.Expired(e.expiresAt, now) && !withExpired) {
				continue
			}
			ent := kv.Entry[string, []byte]{Key: s.unkey(k, e), Value: s.out(e.value), ExpiresAt: e.expiresAt}
			switch {
			case s.faults[expiresAtNotReported]:
				ent.ExpiresAt = time.Time{}
			case s.faults[expiresAtRederived] && !e.expiresAt.IsZero():
				ent.ExpiresAt = now.Add(e.expiresAt.Sub(e.setAt))
			case s.faults[expiresAtLate] && !e.expiresAt.IsZero():
				ent.ExpiresAt = e.expiresAt.Add(500 * time.Millisecond)
			}
			if e.damaged {
				if err := s.corrupt(op, ent.Key); err != nil {
					damaged[ent.Key] = err
				}
			}
			entries = append(entries, ent)
		}
		slices.SortFunc(entries, func(a, b kv.Entry[string, []byte]) int { return strings.Compare(a.Key, b.Key) })
		if s.faults[duplicateKeys] && len(entries) > 0 {
			entries = append(entries[:1:1], entries...)
		}
		if !s.faults[lockHeldWhileYield] && !s.faults[lockHeldOnBreak] {
			unlock()
		}
		for i, e := range entries {
			if i == 1 {
				if err := s.inject.Take(FaultIterate); err != nil {
					unlock()
					if !yield(kv.Entry[string, []byte]{}, fmt.Errorf("kv/ref: %s: %w", op, err)) || !s.faults[faultIterationGoesOn] {
						return
					}
				}
			}
			if err := ctx.Err(); err != nil && !s.faults[ignoreContext] && !s.faults[iterateIgnoresCancel] {
				unlock()
				yield(kv.Entry[string, []byte]{}, fmt.Errorf("kv/ref: %s: %w", op, err))
				return
			}
			if err := damaged[e.Key]; err != nil {
				if !yield(kv.Entry[string, []byte]{}, err) {
					unlock()
					return
				}
				continue
			}
			if !yield(e, nil) && !s.faults[ignoreYieldFalse] {
				if s.faults[lockHeldOnBreak] {
					return // without unlocking: the bug
				}
				unlock()
				return
			}
		}
		unlock()
	}
}

func (s *refStore) matches(k, prefix string) bool {
	if !s.faults[scanLikeWildcard] {
		return strings.HasPrefix(k, prefix)
	}
	return likePrefix(k, prefix)
}

// likePrefix matches k against prefix+"%" as SQL LIKE does without an
// ESCAPE clause: "_" is any byte and "%" any run of bytes.
func likePrefix(k, prefix string) bool {
	if prefix == "" {
		return true
	}
	switch prefix[0] {
	case '%':
		for i := 0; i <= len(k); i++ {
			if likePrefix(k[i:], prefix[1:]) {
				return true
			}
		}
		return false
	case '_':
		return k != "" && likePrefix(k[1:], prefix[1:])
	}
	return k != "" && k[0] == prefix[0] && likePrefix(k[1:], prefix[1:])
}

func (s *refStore) getMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if len(keys) == 0 && s.faults[emptyBatchUnchecked] {
		return map[string][]byte{}, nil
	}
	if err := s.check(ctx, "get many"); err != nil {
		return nil, err
	}
	if err := s.inject.Take(FaultRead); err != nil {
		if s.faults[getManyFaultMissing] {
			return map[string][]byte{}, nil
		}
		return nil, fmt.Errorf("kv/ref: get many: %w", err)
	}
	s.loc.mu.Lock()
	defer s.loc.mu.Unlock()
	now := time.Now()
	out := make(map[string][]byte)
	for _, k := range keys {
		if e, ok := s.live(s.key(k), now); ok && e.damaged {
			if err := s.corrupt("get many", k); err != nil {
				return nil, err
			}
		}
		if s.faults[getManyExpired] {
			if e, ok := s.loc.entries[s.key(k)]; ok {
				out[k] = s.out(e.value)
			}
		} else if e, ok := s.live(s.key(k), now); ok {
			out[k] = s.out(e.value)
		}
	}
	return out, nil
}

func (s *refStore) setMany(ctx context.Context, entries []kv.Entry[string, []byte]) error {
	if len(entries) == 0 && s.faults[emptyBatchUnchecked] {
		return nil
	}
	if err := s.checkWrite(ctx, "set many", true); err != nil {
		return err
	}
	for i, e := range entries {
		if i > 0 && s.faults[setManyChecksFirst] {
			break
		}
		if (s.maxKey > 0 && len(e.Key) > s.maxKey) || (s.maxValue > 0 && len(e.Value) > s.maxValue) {
			return fmt.Errorf("kv/ref: set many %q: %w", e.Key, kv.ErrTooLarge)
		}
	}
	s.loc.mu.Lock()
	defer s.loc.mu.Unlock()
	now := time.Now()
	for _, e := range entries {
		exp := e.ExpiresAt
		if s.faults[setManyNoExpiry] {
			exp = time.Time{}
		}
		s.loc.entries[s.key(e.Key)] = refEntry{value: s.in(e.Value), expiresAt: exp, setAt: now, key: e.Key}
	}
	return nil
}

func (s *refStore) deleteMany(ctx context.Context, keys []string) error {
	if len(keys) == 0 && s.faults[emptyBatchUnchecked] {
		return nil
	}
	if err := s.checkWrite(ctx, "delete many", false); err != nil {
		return err
	}
	s.loc.mu.Lock()
	defer s.loc.mu.Unlock()
	for i, k := range keys {
		if i > 0 && s.faults[deleteManyFirstOnly] {
			break
		}
		delete(s.loc.entries, s.key(k))
	}
	return nil
}

func (s *refStore) Close() error {
	if s.faults[closeRaces] {
		s.closedRacy = true
	}
	if s.closed.Swap(true) {
		if s.faults[closeTwiceErrors] {
			return errors.New("kv/ref: already closed")
		}
		return nil
	}
	s.doneOnce.Do(func() { close(s.done) })
	if s.loc.removed.Load() {
		return errors.New("kv/ref: close: the location was removed before the store was closed")
	}
	if s.faults[openAfterClose] {
		s.closed.Store(false)
	}
	s.loc.handles.Add(-1)
	return nil
}

// The shapes: each adds some optional interfaces to refStore.
type (
	refGetter  struct{ *refStore }
	refBatch   struct{ *refStore }
	refFull    struct{ *refStore }
	refScanner struct{ *refStore }
)

func (s refGetter) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	return s.getMany(ctx, keys)
}

func (s refBatch) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	return s.getMany(ctx, keys)
}
func (s refBatch) SetMany(ctx context.Context, entries []kv.Entry[string, []byte]) error {
	return s.setMany(ctx, entries)
}
func (s refBatch) DeleteMany(ctx context.Context, keys []string) error {
	return s.deleteMany(ctx, keys)
}

func (s refFull) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	return s.getMany(ctx, keys)
}
func (s refFull) SetMany(ctx context.Context, entries []kv.Entry[string, []byte]) error {
	return s.setMany(ctx, entries)
}
func (s refFull) DeleteMany(ctx context.Context, keys []string) error { return s.deleteMany(ctx, keys) }
func (s refFull) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.scan(ctx, prefix)
}

func (s refScanner) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.scan(ctx, prefix)
}
