package httpcache

import (
	"fmt"
	"time"
)

// Expiry says how long a response stays fresh once stored. The zero Expiry
// is unset: the next setting in order of precedence decides (see the
// package documentation). Make one with Never, DoNotCache,
// ExpireImmediately, After or At.
type Expiry struct {
	kind expiryKind
	d    time.Duration
	t    time.Time
}

type expiryKind uint8

const (
	expiryUnset expiryKind = iota
	expiryNever
	expiryDoNotCache
	expiryImmediately
	expiryAfter
	expiryAt
)

// Never makes responses fresh forever (until deleted).
func Never() Expiry { return Expiry{kind: expiryNever} }

// DoNotCache makes requests skip the cache: nothing is read from it or
// written to it.
func DoNotCache() Expiry { return Expiry{kind: expiryDoNotCache} }

// ExpireImmediately stores responses already stale: they are revalidated
// with the origin before every use (cheap when the origin answers 304),
// and can still be served by stale-if-error. Responses without a validator
// (ETag or Last-Modified) and without a stale-if-error window are not
// stored, as they could never be used.
func ExpireImmediately() Expiry { return Expiry{kind: expiryImmediately} }

// After makes responses fresh for d after they were received. A d <= 0 is
// ExpireImmediately.
func After(d time.Duration) Expiry {
	if d <= 0 {
		return ExpireImmediately()
	}
	return Expiry{kind: expiryAfter, d: d}
}

// At makes responses fresh until t. A t that has passed when a response
// arrives stores it as ExpireImmediately does.
func At(t time.Time) Expiry { return Expiry{kind: expiryAt, t: t} }

// IsSet reports whether e is anything but the zero Expiry.
func (e Expiry) IsSet() bool { return e.kind != expiryUnset }

// String describes e, for logs and error messages.
func (e Expiry) String() string {
	switch e.kind {
	case expiryNever:
		return "never"
	case expiryDoNotCache:
		return "do-not-cache"
	case expiryImmediately:
		return "expire-immediately"
	case expiryAfter:
		return "after " + e.d.String()
	case expiryAt:
		return "at " + e.t.Format(time.RFC3339)
	default:
		return "unset"
	}
}

// lifetime returns the freshness lifetime e gives a response received at
// now, and false for Never (no limit). It is not called for unset or
// DoNotCache.
func (e Expiry) lifetime(now time.Time) (time.Duration, bool) {
	switch e.kind {
	case expiryNever:
		return 0, false
	case expiryAfter:
		return e.d, true
	case expiryAt:
		return max(e.t.Sub(now), 0), true
	case expiryImmediately:
		return 0, true
	default:
		panic(fmt.Sprintf("httpcache: lifetime of %v", e))
	}
}
