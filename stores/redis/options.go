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
// The trade-off is staleness. Redis tells the client when a cached key
// changes and rueidis then drops it, but the notice travels on its own,
// after the reply to the write: for a short time after any write (by
// another client, and also by this store or another store on the same
// client, since Redis 7 sends the notice after the write's reply), Get may
// still return the old value, or report a new key absent. Measured on
// loopback, a read right after another client's write returned the old
// value in 20% of rounds; the stale window was 119 µs at the median but
// 18 ms at the 99th percentile, and it is longer on a slow or broken
// connection (rueidis drops the cache of a connection it loses). So a
// store with the cache does not promise that a Get sees the Set just
// before it, which the plain store does (and which conformance.Run
// checks); use it for read-mostly data that may be briefly stale, such as
// cached HTTP responses. A key's expiry is never exceeded: rueidis caps
// the cached lifetime at the key's PTTL. Has, Keys, All, Scan and Len
// always ask the server.
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
