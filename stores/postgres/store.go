package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kvkit/kv"
)

// Store is a kv.Store[string, []byte] over one PostgreSQL table, through
// a pgxpool.Pool. It implements kv.BatchGetter, kv.BatchSetter,
// kv.BatchDeleter and kv.PrefixScanner, and is safe for concurrent use.
//
// Make one with New or Open; the zero Store is not usable.
type Store struct {
	pool   *pgxpool.Pool
	owned  bool // Close closes pool
	schema string
	table  string
	q      queries
	opts   options
	closed atomic.Bool

	stop    context.CancelFunc // stops the janitor
	janitor sync.WaitGroup
}

var (
	_ kv.Store[string, []byte]       = (*Store)(nil)
	_ kv.BatchGetter[string, []byte] = (*Store)(nil)
	_ kv.BatchSetter[string, []byte] = (*Store)(nil)
	_ kv.BatchDeleter[string]        = (*Store)(nil)
	_ kv.PrefixScanner[[]byte]       = (*Store)(nil)
)

// setupTimeout bounds the table set-up New does, having no context.
const setupTimeout = time.Minute

// New returns a store over the table name on pool, which the caller owns:
// Close does not close it, and any number of stores (one per table) may
// share it. New creates the table when missing (see WithCreateTable,
// WithSchema, WithUnlogged), waiting at most a minute for the server;
// use Open to bound that with a context. It starts the janitor (see
// WithJanitorInterval).
func New(pool *pgxpool.Pool, name string, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("kv/postgres: new: nil pool")
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	s, err := newStore(ctx, pool, false, name, newOptions(opts))
	if err != nil {
		return nil, fmt.Errorf("kv/postgres: new %q: %w", name, err)
	}
	return s, nil
}

// Open connects to PostgreSQL with a pool of its own, made by
// pgxpool.ParseConfig(dsn) and WithPoolConfig, checks within ctx that the
// server answers, and returns a store over the table name (see New) that
// closes the pool on Close. The DSN is a postgres:// URL or a libpq
// keyword/value string; it carries the credentials, TLS (sslmode,
// sslrootcert, ...), timeouts (connect_timeout) and pool sizes
// (pool_max_conns, ...). Errors never hold the password.
func Open(ctx context.Context, dsn, name string, opts ...Option) (*Store, error) {
	o := newOptions(opts)
	if err := validName("table", name); err != nil {
		return nil, fmt.Errorf("kv/postgres: open: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn's parse errors print the DSN with its password redacted.
		return nil, fmt.Errorf("kv/postgres: open %q: %w", name, err)
	}
	for _, f := range o.poolConfig {
		f(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("kv/postgres: open %q: %w", name, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("kv/postgres: open %q: connect: %w", name, err)
	}
	s, err := newStore(ctx, pool, true, name, o)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("kv/postgres: open %q: %w", name, err)
	}
	return s, nil
}

func newStore(ctx context.Context, pool *pgxpool.Pool, owned bool, name string, o options) (*Store, error) {
	if err := validName("table", name); err != nil {
		return nil, err
	}
	if o.schema != "" {
		if err := validName("schema", o.schema); err != nil {
			return nil, err
		}
	}
	s := &Store{pool: pool, owned: owned, schema: o.schema, table: name, q: newQueries(o.schema, name, o.unlogged), opts: o}
	if err := s.q.setup(ctx, pool, o.createTable); err != nil {
		return nil, err
	}
	jctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	if o.janitor > 0 {
		s.janitor.Go(func() { s.runJanitor(jctx) })
	}
	return s, nil
}

// Pool returns the pool the store uses.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Table returns the name of the store's table.
func (s *Store) Table() string { return s.table }

// Schema returns the schema given with WithSchema ("" for the
// connection's search_path).
func (s *Store) Schema() string { return s.schema }

// QualifiedTable returns the table's name as the store's statements
// write it: quoted, with its schema when WithSchema gave one.
func (s *Store) QualifiedTable() string { return s.q.table }

// check returns the error a call must fail with before doing any work.
func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return kv.ErrClosed
	}
	return ctx.Err()
}

// wrap names the backend, the operation and the key (when there is one)
// in err, and adds the kv sentinel that err stands for.
func (s *Store) wrap(op string, key *string, err error) error {
	what := "kv/postgres: " + op
	if key != nil {
		k := *key
		if len(k) > 64 {
			what = fmt.Sprintf("%s %q... (%d bytes)", what, k[:64], len(k))
		} else {
			what = fmt.Sprintf("%s %q", what, k)
		}
	}
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, kv.ErrClosed), errors.Is(err, kv.ErrNotFound):
		return fmt.Errorf("%s: %w", what, err)
	case s.closed.Load():
		// An owned pool closed by Close while the call was under way.
		return fmt.Errorf("%s: %w (%w)", what, kv.ErrClosed, err)
	case errors.As(err, &pe) && pe.Code == "54000":
		// program_limit_exceeded: a row or index entry too large.
		return fmt.Errorf("%s: %w: %w", what, kv.ErrTooLarge, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Limits of the timestamptz type (4713 BC to 294276 AD), inside which
// every expiry is kept.
var (
	minExpiry = time.Unix(0, 0)
	maxExpiry = time.Date(294000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// expiresArg returns the expires_at argument for t: NULL for the zero
// time, else t rounded up to PostgreSQL's microsecond (an entry never
// expires before the time asked) within the type's range.
func expiresArg(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	switch {
	case t.Before(minExpiry):
		t = minExpiry
	case t.After(maxExpiry):
		t = maxExpiry
	}
	if r := t.Truncate(time.Microsecond); !r.Equal(t) {
		t = r.Add(time.Microsecond)
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

// keyArg returns key as a bytea argument, never nil (which is NULL).
func keyArg(key string) []byte {
	if key == "" {
		return []byte{}
	}
	return []byte(key)
}

// valueArg returns value as a bytea argument, never nil.
func valueArg(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

// checkSize returns an error wrapping kv.ErrTooLarge for a key or value
// the store does not accept.
func (s *Store) checkSize(key string, value []byte) error {
	switch {
	case len(key) > MaxKeySize:
		return fmt.Errorf("%w: key of %d bytes, at most %d", kv.ErrTooLarge, len(key), MaxKeySize)
	case len(value) > s.opts.maxValueSize:
		return fmt.Errorf("%w: value of %d bytes, at most %d", kv.ErrTooLarge, len(value), s.opts.maxValueSize)
	}
	return nil
}

// Get returns the value stored under key, or an error wrapping
// kv.ErrNotFound when the key is absent or expired.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.check(ctx); err != nil {
		return nil, s.wrap("get", &key, err)
	}
	var v []byte
	pk, _ := pkOf(key)
	err := s.pool.QueryRow(ctx, s.q.get, pk, s.opts.now()).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, s.wrap("get", &key, kv.ErrNotFound)
	}
	if err != nil {
		return nil, s.wrap("get", &key, err)
	}
	return valueArg(v), nil
}

// Has reports whether key is present and not expired.
func (s *Store) Has(ctx context.Context, key string) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, s.wrap("has", &key, err)
	}
	var ok bool
	pk, _ := pkOf(key)
	if err := s.pool.QueryRow(ctx, s.q.has, pk, s.opts.now()).Scan(&ok); err != nil {
		return false, s.wrap("has", &key, err)
	}
	return ok, nil
}

// Set stores value under key with one INSERT ... ON CONFLICT DO UPDATE,
// replacing any earlier value and expiry. A TTL (kv.WithTTL,
// kv.WithExpiresAt) is kept in expires_at, rounded up to the microsecond;
// an entry whose expiry has passed is never read, and the janitor
// deletes it. A negative TTL fails with kv.ErrInvalidTTL, a key longer
// than MaxKeySize or a value over the limit (WithMaxValueSize) with
// kv.ErrTooLarge; neither writes anything.
func (s *Store) Set(ctx context.Context, key string, value []byte, opts ...kv.SetOption) error {
	if err := s.check(ctx); err != nil {
		return s.wrap("set", &key, err)
	}
	o, err := kv.NewSetOptions(s.opts.now(), opts...)
	if err != nil {
		return s.wrap("set", &key, err)
	}
	if err := s.checkSize(key, value); err != nil {
		return s.wrap("set", &key, err)
	}
	pk, long := pkOf(key)
	if _, err := s.pool.Exec(ctx, s.q.set, pk, long, expiresArg(o.ExpiresAt), valueArg(value)); err != nil {
		return s.wrap("set", &key, err)
	}
	return nil
}

// Delete removes key. Deleting an absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx); err != nil {
		return s.wrap("delete", &key, err)
	}
	pk, _ := pkOf(key)
	if _, err := s.pool.Exec(ctx, s.q.del, pk); err != nil {
		return s.wrap("delete", &key, err)
	}
	return nil
}

// Len counts the rows that have not expired (SELECT count(*), a pass over
// the table or its primary key).
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := s.check(ctx); err != nil {
		return 0, s.wrap("len", nil, err)
	}
	var n int64
	if err := s.pool.QueryRow(ctx, s.q.count, s.opts.now()).Scan(&n); err != nil {
		return 0, s.wrap("len", nil, err)
	}
	return int(n), nil
}

// Clear deletes every row of the store's table (DELETE, not TRUNCATE,
// which would wait for, and block, every other reader of the table).
// Other tables are untouched.
func (s *Store) Clear(ctx context.Context) error {
	if err := s.check(ctx); err != nil {
		return s.wrap("clear", nil, err)
	}
	if _, err := s.pool.Exec(ctx, s.q.clear); err != nil {
		return s.wrap("clear", nil, err)
	}
	return nil
}

// Close stops the janitor, waiting for a round under way to end, marks
// the store closed, after which every method fails with an error wrapping
// kv.ErrClosed, and closes the pool when the store made it (Open). A
// store from New leaves its pool open. Close is idempotent and returns
// nil.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.stop()
	s.janitor.Wait()
	if s.owned {
		s.pool.Close()
	}
	return nil
}
