package storekit

import (
	"time"

	"github.com/kvkit/kv"
)

// Clock is the time source a store decides expiry with; a nil Clock reads
// time.Now. A store keeps one (tests inject theirs) and asks it both when
// an entry is written and when it is read, so that the TTL is enforced on
// read everywhere, even where the server deletes lazily or not at all.
type Clock func() time.Time

// Now returns the current time.
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}

// Expired reports whether an entry that expires at expiresAt (zero:
// never) has expired, by kv.Expired. It reads the clock only for an entry
// that expires.
func (c Clock) Expired(expiresAt time.Time) bool {
	return !expiresAt.IsZero() && kv.Expired(expiresAt, c.Now())
}

// SetOptions resolves the options of a Set at the current time (see
// kv.NewSetOptions): an error wrapping kv.ErrInvalidTTL for a negative
// TTL. With no options it does not read the clock.
func (c Clock) SetOptions(opts ...kv.SetOption) (kv.SetOptions, error) {
	if len(opts) == 0 {
		return kv.SetOptions{}, nil
	}
	return kv.NewSetOptions(c.Now(), opts...)
}
