package sqlite

import (
	"log/slog"
	"net/url"
	"time"

	"github.com/kvkit/kv/internal/storekit"
)

// DefaultTable is the table a store uses when WithTable is not given.
const DefaultTable = "kv"

// DefaultSweepInterval is how often, at most, a write also deletes expired
// entries when WithSweepInterval is not given.
const DefaultSweepInterval = time.Minute

// DefaultBusyTimeout is how long a connection waits for a lock held by
// another connection or process before it gives up with SQLITE_BUSY. Set
// another with WithDSNParams and _pragma=busy_timeout(ms).
const DefaultBusyTimeout = 10 * time.Second

// sweepBatch is the most expired entries one opportunistic sweep deletes,
// so that a write never pays for a large backlog at once.
const sweepBatch = 1000

// Option configures a Store.
type Option func(*options)

type options struct {
	table  string
	params url.Values
	sweep  time.Duration
	now    storekit.Clock
	logger *slog.Logger

	// readOnly is set by OpenReadOnly (there is no Option for it: a
	// read-only store is opened differently, not configured).
	readOnly bool
}

func newOptions(opts []Option) options {
	o := options{table: DefaultTable, sweep: DefaultSweepInterval, now: time.Now}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}

// WithTable names the table the store keeps its entries in (DefaultTable
// otherwise). Several stores with different tables share one database
// file; each one's Clear, Len and iteration see only its own table. The
// name may hold only ASCII letters, digits and underscores; any other
// name makes Open fail. New and Store.Table take the table as an argument
// and ignore this option.
func WithTable(name string) Option { return func(o *options) { o.table = name } }

// WithDSNParams adds the driver's own connection parameters
// (modernc.org/sqlite's DSN query keys, such as _pragma, _time_format or
// vfs) to those Open sets. A key given here replaces Open's value for it;
// a _pragma naming a PRAGMA Open also sets (busy_timeout, journal_mode,
// synchronous) replaces Open's one, so
//
//	url.Values{"_pragma": {"busy_timeout(30000)"}}
//
// makes connections wait up to 30s for a lock. New ignores this option:
// the caller configured its own *sql.DB.
func WithDSNParams(params url.Values) Option {
	return func(o *options) {
		if o.params == nil {
			o.params = url.Values{}
		}
		for k, vs := range params {
			o.params[k] = append(o.params[k], vs...)
		}
	}
}

// WithSweepInterval sets how often, at most, a write (Set, SetMany) also
// deletes up to a thousand expired entries in the same call. Expired
// entries are invisible from the instant they expire either way; the sweep
// only frees their space. d <= 0 turns it off (call DeleteExpired
// yourself). No goroutine is started either way.
func WithSweepInterval(d time.Duration) Option { return func(o *options) { o.sweep = d } }

// WithClock makes the store read the time from now instead of time.Now,
// for tests of expiry. Expiry is stored as an absolute time, so stores
// sharing a table should share a clock.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger makes the store report what it cannot return to a caller (a
// failed opportunistic sweep) to l. The store is silent by default.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }
