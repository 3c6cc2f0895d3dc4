package postgres

import (
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kvkit/kv/internal/storekit"
)

// Defaults and limits of the options below.
const (
	// DefaultMaxValueSize is the largest value a store accepts unless
	// WithMaxValueSize says otherwise: 64 MiB. PostgreSQL takes up to
	// 1 GiB in a bytea, but pgx holds a whole value in memory on the way
	// in and out (and the server as much again while it builds the row),
	// so a value of hundreds of megabytes costs that much memory in the
	// program and in a server backend at once; an HTTP cache or a
	// key-value table rarely needs more than a few megabytes.
	DefaultMaxValueSize = 64 << 20

	// MaxValueSize is the most WithMaxValueSize allows: PostgreSQL's
	// limit on one field (1 GiB), less room for the field's header.
	MaxValueSize = 1<<30 - 1<<10

	// DefaultJanitorInterval is how often the janitor deletes expired
	// rows unless WithJanitorInterval says otherwise.
	DefaultJanitorInterval = time.Minute

	// DefaultPageSize is how many rows one query of Keys, All and Scan
	// reads unless WithPageSize says otherwise.
	DefaultPageSize = 100
)

// sweepBatch is the most expired rows one statement of the janitor
// deletes, so that no statement holds many row locks for long.
const sweepBatch = 5000

// Option configures New and Open.
type Option func(*options)

type options struct {
	schema       string
	createTable  bool
	unlogged     bool
	maxValueSize int
	janitor      time.Duration
	pageSize     int
	now          storekit.Clock // nil: time.Now
	logger       *slog.Logger
	poolConfig   []func(*pgxpool.Config)
}

func newOptions(opts []Option) options {
	o := options{
		createTable:  true,
		maxValueSize: DefaultMaxValueSize,
		janitor:      DefaultJanitorInterval,
		pageSize:     DefaultPageSize,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// WithSchema puts the table in schema (created when missing, with the
// table) instead of the first schema of the connection's search_path
// (normally public).
func WithSchema(schema string) Option { return func(o *options) { o.schema = schema } }

// WithCreateTable(false) makes New and Open fail, instead of creating the
// table (and its schema and index), when the table does not exist: for a
// role without CREATE rights, or a schema managed by migrations. The
// table must then have the columns the package doc describes.
func WithCreateTable(create bool) Option { return func(o *options) { o.createTable = create } }

// WithUnlogged creates the table UNLOGGED (when New or Open creates it;
// an existing table is left as it is). An unlogged table skips the
// write-ahead log: writes cost less (no WAL record to write and flush
// per change), but the table is emptied when the server restarts after a crash (not after a clean
// shutdown) and is not copied to streaming replicas, so a failover to a
// replica loses it. That is the right trade for a cache, whose entries
// can be fetched again, and the wrong one for data that must survive.
func WithUnlogged(unlogged bool) Option { return func(o *options) { o.unlogged = unlogged } }

// WithMaxValueSize sets the largest value Set and SetMany accept, in
// bytes (DefaultMaxValueSize when n is not positive, MaxValueSize at
// most). A larger value fails with kv.ErrTooLarge before anything is
// sent.
func WithMaxValueSize(n int) Option {
	return func(o *options) {
		switch {
		case n <= 0:
			n = DefaultMaxValueSize
		case n > MaxValueSize:
			n = MaxValueSize
		}
		o.maxValueSize = n
	}
}

// WithJanitorInterval sets how often the store's janitor goroutine
// deletes expired rows (DefaultJanitorInterval otherwise); d <= 0 starts
// no janitor (call DeleteExpired yourself). Expired rows are invisible
// either way: the janitor only frees their space. Of all the stores on
// one table, in any number of processes, one at a time sweeps (under a
// PostgreSQL advisory lock); the others skip that round. Close stops it.
func WithJanitorInterval(d time.Duration) Option { return func(o *options) { o.janitor = d } }

// WithPageSize sets how many rows one query of Keys, All and Scan reads
// (DefaultPageSize when n is not positive). A page is read whole, then
// its rows are yielded with no query or transaction open, so n values at
// most are in memory at once.
func WithPageSize(n int) Option {
	return func(o *options) {
		if n <= 0 {
			n = DefaultPageSize
		}
		o.pageSize = n
	}
}

// WithClock makes the store read the time from now instead of time.Now
// (a nil now: time.Now), for tests of expiry. Expiry times are absolute and compared with the
// clock of the store that reads (not the server's), so stores sharing a
// table should have clocks that agree.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger makes the store report what it cannot return to a caller (a
// failed janitor round) to l. The store is silent by default.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithPoolConfig lets Open change the pgxpool.Config it parsed from the
// DSN before it connects: a tls.Config with a private CA, a dialer,
// BeforeConnect hooks, pool sizes. New ignores it: the caller made the
// pool.
func WithPoolConfig(f func(*pgxpool.Config)) Option {
	return func(o *options) {
		if f != nil {
			o.poolConfig = append(o.poolConfig, f)
		}
	}
}
