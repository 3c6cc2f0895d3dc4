package badger

import (
	"log/slog"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
)

// DefaultGCDiscardRatio is the share of a value log file that must be
// garbage for RunGC to rewrite it, unless WithGCDiscardRatio says
// otherwise.
const DefaultGCDiscardRatio = 0.5

// Option configures a Store made by Open or New.
type Option func(*options)

type options struct {
	prefix       string
	badgerOpts   []func(bdg.Options) bdg.Options
	logger       *slog.Logger
	gcInterval   time.Duration
	discardRatio float64
	minFree      int64

	memThreshold int64 // set by Open: the ValueThreshold it opens with
}

func newOptions(opts []Option) options {
	o := options{prefix: DefaultPrefix, discardRatio: DefaultGCDiscardRatio}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// WithPrefix sets the name that prefixes every key of the store (see the
// key layout in the package doc), so that several stores share one DB
// without seeing each other's keys. It must not be empty, be longer than
// 255 bytes, hold a 0x00 byte or start with "!badger!". The default is
// DefaultPrefix.
func WithPrefix(name string) Option { return func(o *options) { o.prefix = name } }

// WithBadgerOptions lets Open change badger's own options before it opens
// the DB: f receives badger.DefaultOptions(dir) with logging set as
// WithLogger says, and returns the options to use. Several calls apply in
// order. New ignores it: the DB is already open. For badger's memory mode,
// return o.WithDir("").WithValueDir("").WithInMemory(true); dir is then
// unused and nothing persists.
func WithBadgerOptions(f func(bdg.Options) bdg.Options) Option {
	return func(o *options) {
		if f != nil {
			o.badgerOpts = append(o.badgerOpts, f)
		}
	}
}

// WithLogger sends the store's own log records (errors of the background
// value log GC) to l and, for Open, badger's log lines too (badger's
// Debugf, Infof, Warningf and Errorf at the slog levels of those names).
// Without it the store and badger log nothing.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithGCInterval starts a goroutine that runs RunGC every d; Close stops it
// and waits for it. d <= 0, the default, starts none. Errors of a round are
// logged (see WithLogger). On a DB shared by several stores, one of them
// running it is enough: value log GC is per DB, not per prefix.
func WithGCInterval(d time.Duration) Option { return func(o *options) { o.gcInterval = d } }

// WithGCDiscardRatio sets the share of garbage (0 < r < 1) a value log
// file must hold for RunGC to rewrite it; see badger's
// DB.RunValueLogGC. The default is DefaultGCDiscardRatio.
func WithGCDiscardRatio(r float64) Option { return func(o *options) { o.discardRatio = r } }

// WithMinFreeSpace sets the reserve: the free space, in bytes, that the
// store keeps on the filesystem of badger's directories for badger's own
// work (memtable flushes, compactions, the flush on Close). Set and
// SetMany refuse, with an error wrapping syscall.ENOSPC, a write that
// would leave less than the reserve plus 4 MiB free; Delete, DeleteMany
// and Clear refuse one that would leave less than the reserve. n = 0, the
// default, computes the reserve from badger's options and the DB's
// current levels, as the package doc describes; n < 0 turns the check off
// (a full disk then ends the process with SIGBUS).
func WithMinFreeSpace(n int64) Option { return func(o *options) { o.minFree = n } }
