package conformance

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// Opener opens a store over one location (a directory, a database table, a
// key prefix). Every call opens the same location.
type Opener func() (kv.Store[string, []byte], error)

// Config describes the store under test.
type Config struct {
	// NewStore prepares a fresh, empty location of its own (t.TempDir(), a
	// new table or key prefix, ...) and returns an Opener for it. The suite
	// calls it once per subtest (twice in Basic/Isolation, which checks
	// that two locations do not see each other) and closes every store it
	// opens. Cleaning the location up afterwards is NewStore's job
	// (t.Cleanup); the suite's closes run before it. The suite never calls
	// it from two goroutines at once, but the TTL subtests run in parallel,
	// so stores over different locations are in use at the same time.
	NewStore func(t testing.TB) Opener

	// Capabilities declares what the store can do. The suite tests every
	// declared capability and checks that an undeclared one is absent.
	Capabilities Capabilities

	// Watchdog is how long one subtest of Run may take before it fails,
	// its context is cancelled and its stores are closed; 0 means two
	// minutes. Raise it for a store far away or behind a slow link.
	Watchdog time.Duration

	// NewFaultyStore, if set, is NewStore for a location whose operations
	// can be made to fail: the Faults it returns arms the failures (see
	// Faults). The Faults subtests use it; without it they are skipped.
	NewFaultyStore func(t testing.TB) (Opener, Faults)

	// NewReadOnlyStore, if set, is NewStore for a location that can also
	// be opened read-only: write opens it as NewStore's Opener does, read
	// opens it read-only, a store on which every write fails with an
	// error wrapping kv.ErrReadOnly and changes nothing (see
	// kv.ErrReadOnly). The ReadOnly subtest uses it; without it, it is
	// skipped.
	NewReadOnlyStore func(t testing.TB) (write, read Opener)

	// NewDamagedStore, if set, is NewStore for a location whose stored
	// entries can be damaged, with the ways to damage one that the store
	// is meant to find (see Damage): each Damaged subtest writes entries,
	// closes the store, damages one, and checks that Get, GetMany and All
	// report it with an error wrapping kv.ErrCorrupt, never as a value nor
	// as a miss, that the others are unaffected, and that a Set or Delete
	// repairs it. It needs Capabilities.Persistent; without it the
	// subtests are skipped.
	NewDamagedStore func(t testing.TB) (Opener, []Damage)

	// NewUnopenableStore, if set, returns an Opener for a location that
	// cannot be opened (a directory under a regular file, say) and a
	// check that reports what a failed Open changed there (nil: nothing).
	// The Unopenable subtest checks that Open fails, twice, and changes
	// nothing; without it, it is skipped.
	NewUnopenableStore func(t testing.TB) (Opener, func() error)
}

// Capabilities lists the optional behaviour a store declares.
type Capabilities struct {
	// TTL: Set honours WithTTL and WithExpiresAt.
	TTL bool

	// Persistent: data written and closed is there when the location is
	// opened again.
	Persistent bool

	// SharedHandles: two stores open on the same location at once see each
	// other's writes (a file directory, a database, a server).
	SharedHandles bool

	// Batch: the store implements kv.BatchGetter, kv.BatchSetter and
	// kv.BatchDeleter (all three, or none). The wrappers of package kv
	// (kv.Typed, kv.EncryptStore, kv.Prefixed) have them exactly when the
	// store they wrap does.
	Batch bool

	// PrefixScan: the store implements kv.PrefixScanner.
	PrefixScan bool

	// KeyScan: the store implements kv.KeyScanner (keys under a prefix
	// without their values).
	KeyScan bool

	// Conditional: the store implements kv.ConditionalWriter, atomically
	// (across handles on one location too, when SharedHandles is
	// declared).
	Conditional bool

	// MaxKeySize is the longest key in bytes the store accepts; 0 means at
	// least the 4 KiB the suite tries. A longer key must fail with
	// kv.ErrTooLarge and write nothing (in SetMany: nothing under that
	// key, as kv.BatchSetter says).
	MaxKeySize int

	// MaxValueSize is the largest value in bytes the store accepts; 0 means
	// at least the 8 MiB the suite tries. A larger value must fail with
	// kv.ErrTooLarge and write nothing (in SetMany: nothing under that
	// key, as kv.BatchSetter says).
	MaxValueSize int

	// TTLResolution is the shortest TTL the store keeps apart from "now";
	// the suite's TTL tests use it to size their waits (they set TTLs of
	// four to six times it and allow it, and nothing more, as slack when
	// comparing expiry times: a store that keeps them in whole seconds
	// declares a second). 0 means 50ms.
	TTLResolution time.Duration
}

// defaultTTLResolution is what a zero Capabilities.TTLResolution means.
const defaultTTLResolution = 50 * time.Millisecond

// Sizes the suite tries when no limit is declared.
const (
	longKeySize    = 4 << 10
	largeValueSize = 8 << 20
)

func (c Capabilities) withDefaults() Capabilities {
	if c.TTLResolution == 0 {
		c.TTLResolution = defaultTTLResolution
	}
	return c
}

func (c Capabilities) valid() error {
	switch {
	case c.MaxKeySize < 0:
		return fmt.Errorf("conformance: Capabilities.MaxKeySize is negative (%d)", c.MaxKeySize)
	case c.MaxValueSize < 0:
		return fmt.Errorf("conformance: Capabilities.MaxValueSize is negative (%d)", c.MaxValueSize)
	case c.TTLResolution < 0:
		return fmt.Errorf("conformance: Capabilities.TTLResolution is negative (%v)", c.TTLResolution)
	}
	return nil
}

// keySize returns n, or the declared key limit when that is smaller.
func (c Capabilities) keySize(n int) int {
	if c.MaxKeySize > 0 && c.MaxKeySize < n {
		return c.MaxKeySize
	}
	return n
}

// valueSize returns n, or the declared value limit when that is smaller.
func (c Capabilities) valueSize(n int) int {
	if c.MaxValueSize > 0 && c.MaxValueSize < n {
		return c.MaxValueSize
	}
	return n
}

// Check reports where c disagrees with the optional interfaces that s
// implements: a capability declared but not implemented, or implemented
// (even in part) but not declared. It returns nil when they agree, and
// otherwise an error listing every disagreement. It looks at the methods
// only; Run also tests what they do. Batch must be all three of
// kv.BatchGetter, kv.BatchSetter and kv.BatchDeleter or none of them.
func (c Capabilities) Check(s kv.Store[string, []byte]) error {
	var errs []error
	if err := c.valid(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.checkBatch(s))
	_, scanner := s.(kv.PrefixScanner[[]byte])
	_, keyScanner := s.(kv.KeyScanner)
	_, conditional := s.(kv.ConditionalWriter[string, []byte])
	errs = append(errs,
		agree(s, "PrefixScan", "kv.PrefixScanner", c.PrefixScan, scanner),
		agree(s, "KeyScan", "kv.KeyScanner", c.KeyScan, keyScanner),
		agree(s, "Conditional", "kv.ConditionalWriter", c.Conditional, conditional))
	return errors.Join(errs...)
}

// agree reports a capability declared but not implemented, or the other
// way round; nil when they agree.
func agree(s kv.Store[string, []byte], capability, iface string, declared, implemented bool) error {
	switch {
	case declared && !implemented:
		return fmt.Errorf("conformance: Capabilities.%s is declared but %T does not implement %s", capability, s, iface)
	case !declared && implemented:
		return fmt.Errorf("conformance: %T implements %s but Capabilities.%s is not declared", s, iface, capability)
	}
	return nil
}

// checkBatch is Check for Batch: all three batch interfaces or none.
func (c Capabilities) checkBatch(s kv.Store[string, []byte]) error {
	_, getter := s.(kv.BatchGetter[string, []byte])
	_, setter := s.(kv.BatchSetter[string, []byte])
	_, deleter := s.(kv.BatchDeleter[string])
	var have, lack []string
	for _, b := range []struct {
		name string
		ok   bool
	}{{"kv.BatchGetter", getter}, {"kv.BatchSetter", setter}, {"kv.BatchDeleter", deleter}} {
		if b.ok {
			have = append(have, b.name)
		} else {
			lack = append(lack, b.name)
		}
	}
	switch {
	case c.Batch && len(lack) > 0:
		return fmt.Errorf("conformance: Capabilities.Batch is declared but %T does not implement %s",
			s, strings.Join(lack, ", "))
	case !c.Batch && len(have) > 0:
		return fmt.Errorf("conformance: %T implements %s but Capabilities.Batch is not declared",
			s, strings.Join(have, ", "))
	}
	return nil
}
