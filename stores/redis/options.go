package redis

import "time"

// Defaults of the options below.
const (
	// DefaultScanCount is the COUNT hint of every SCAN the store sends.
	DefaultScanCount = 1000

	// DefaultMaxValueSize is the largest value the store accepts: 512 MiB,
	// Redis's limit on one string (proto-max-bulk-len).
	DefaultMaxValueSize = 512 << 20
)

// Option configures New and Open.
type Option func(*options)

type options struct {
	cacheTTL     time.Duration
	scanCount    int64
	maxValueSize int
}

func newOptions(opts []Option) options {
	o := options{scanCount: DefaultScanCount, maxValueSize: DefaultMaxValueSize}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// WithClientSideCache makes Get and GetMany read through rueidis's
// client-side cache (RESP3 CLIENT TRACKING): a value read once is kept in
// the client's memory for at most ttl, and later reads of it cost no round
// trip. A ttl of zero or less turns the cache off (the default).
//
// Redis tells the client when a cached key changes, by any client, and
// rueidis then drops it; the notice travels asynchronously, so a read that
// races with a write elsewhere may return the old value for the short time
// the notice takes to arrive (and for up to ttl if the connection that
// carries it is lost and not yet reconnected). A key's own expiry is never
// exceeded: rueidis caps the cached lifetime at the key's PTTL. Has, Keys,
// All, Scan and Len always ask the server.
//
// The client must have client-side caching enabled, which rueidis does by
// default (ClientOption.DisableCache false) on Redis 6 and later.
func WithClientSideCache(ttl time.Duration) Option {
	return func(o *options) { o.cacheTTL = ttl }
}

// WithScanCount sets the COUNT hint of the SCAN commands that Keys, All,
// Scan, Len and Clear send (DefaultScanCount when n is not positive).
// Larger values mean fewer round trips over a large database and longer
// single commands on the server.
func WithScanCount(n int) Option {
	return func(o *options) {
		if n <= 0 {
			n = DefaultScanCount
		}
		o.scanCount = int64(n)
	}
}

// WithMaxValueSize sets the largest value Set and SetMany accept, in bytes
// (DefaultMaxValueSize when n is not positive). Use it when the server's
// proto-max-bulk-len is lower than Redis's default, or to bound what one
// entry may hold; larger values fail with kv.ErrTooLarge before anything
// is sent.
func WithMaxValueSize(n int) Option {
	return func(o *options) {
		if n <= 0 {
			n = DefaultMaxValueSize
		}
		o.maxValueSize = n
	}
}
