package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

// Store is a kv.Store[string, []byte] over one PostgreSQL table, through
// a pgxpool.Pool. It implements kv.BatchGetter, kv.BatchSetter,
// kv.BatchDeleter, kv.PrefixScanner and kv.KeyScanner, and is safe for
// concurrent use.
//
// Make one with New or Open; the zero Store is not usable.
type Store struct {
	pool   *pgxpool.Pool
	owned  bool // Close closes pool
	schema string
	table  string
	q      queries
	opts   options
	life   storekit.Lifecycle

	stop    context.CancelFunc // stops the janitor
	janitor sync.WaitGroup
}

var (
	_ kv.Store[string, []byte]       = (*Store)(nil)
	_ kv.BatchGetter[string, []byte] = (*Store)(nil)
	_ kv.BatchSetter[string, []byte] = (*Store)(nil)
	_ kv.BatchDeleter[string]        = (*Store)(nil)
	_ kv.PrefixScanner[[]byte]       = (*Store)(nil)
	_ kv.KeyScanner                  = (*Store)(nil)
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
		return nil, errs.Err("new", errors.New("nil pool"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	s, err := newStore(ctx, pool, false, name, newOptions(opts))
	if err != nil {
		return nil, errs.Key("new", name, err)
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
		return nil, errs.Err("open", err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn's parse errors print the DSN with its password redacted.
		return nil, errs.Key("open", name, err)
	}
	for _, f := range o.poolConfig {
		f(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, errs.Key("open", name, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, errs.Key("open", name, fmt.Errorf("connect: %w", err))
	}
	s, err := newStore(ctx, pool, true, name, o)
	if err != nil {
		pool.Close()
		return nil, errs.Key("open", name, err)
	}
	return s, nil
}

// OpenReadOnly is Open for a store that only reads an existing table. Its
// connections run with default_transaction_read_only=on, so the server
// itself refuses any write; it creates no schema, table or index
// (WithCreateTable is ignored), fails with an error wrapping ErrNoTable
// and fs.ErrNotExist when the table does not exist, starts no janitor,
// and makes every write (Set, Delete, Clear, SetMany, DeleteMany, the
// conditional writes, DeleteExpired) fail with an error wrapping
// kv.ErrReadOnly before it reaches the server.
func OpenReadOnly(ctx context.Context, dsn, name string, opts ...Option) (*Store, error) {
	readOnly := func(c *pgxpool.Config) {
		c.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	opts = append(opts, WithCreateTable(false), WithJanitorInterval(0), WithPoolConfig(readOnly))
	s, err := Open(ctx, dsn, name, opts...)
	if err != nil {
		return nil, err
	}
	s.life.SetReadOnly()
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

// errs names the backend in every error the store returns.
const errs storekit.Backend = "postgres"

// keyErr wraps err for the operation op on key, with the kv sentinel it
// stands for (see classify).
func (s *Store) keyErr(op, key string, err error) error {
	return errs.Key(op, key, s.classify(err))
}

// opErr wraps err for the operation op, which has no one key, with the
// kv sentinel it stands for (see classify).
func (s *Store) opErr(op string, err error) error {
	return errs.Err(op, s.classify(err))
}

// classify adds to err the kv sentinel it stands for.
func (s *Store) classify(err error) error {
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, kv.ErrClosed), errors.Is(err, kv.ErrNotFound):
		return err
	case s.life.Closed():
		// An owned pool closed by Close while the call was under way.
		return fmt.Errorf("%w (%w)", kv.ErrClosed, err)
	case errors.As(err, &pe) && pe.Code == "54000":
		// program_limit_exceeded: a row or index entry too large.
		return fmt.Errorf("%w: %w", kv.ErrTooLarge, err)
	}
	return err
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
	if err := storekit.CheckKeySize(key, MaxKeySize); err != nil || len(value) <= s.opts.maxValueSize {
		return err
	}
	return fmt.Errorf("%w: value of %d bytes, at most %d", kv.ErrTooLarge, len(value), s.opts.maxValueSize)
}

// Get returns the value stored under key, or an error wrapping
// kv.ErrNotFound when the key is absent or expired.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.life.Begin(ctx); err != nil {
		return nil, s.keyErr("get", key, err)
	}
	var v []byte
	pk, _ := pkOf(key)
	err := s.pool.QueryRow(ctx, s.q.get, pk, s.opts.now.Now()).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, s.keyErr("get", key, kv.ErrNotFound)
	}
	if err != nil {
		return nil, s.keyErr("get", key, err)
	}
	return valueArg(v), nil
}

// Has reports whether key is present and not expired.
func (s *Store) Has(ctx context.Context, key string) (bool, error) {
	if err := s.life.Begin(ctx); err != nil {
		return false, s.keyErr("has", key, err)
	}
	var ok bool
	pk, _ := pkOf(key)
	if err := s.pool.QueryRow(ctx, s.q.has, pk, s.opts.now.Now()).Scan(&ok); err != nil {
		return false, s.keyErr("has", key, err)
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
	o, err := s.beginSet(ctx, key, value, opts)
	if err != nil {
		return s.keyErr("set", key, err)
	}
	pk, long := pkOf(key)
	if _, err := s.pool.Exec(ctx, s.q.set, pk, long, expiresArg(o.ExpiresAt), valueArg(value)); err != nil {
		return s.keyErr("set", key, err)
	}
	return nil
}

// beginSet is the prologue of Set: the error Set fails with before it
// sends anything (closed store, done ctx, negative TTL, key or value too
// large), or the options it writes with.
func (s *Store) beginSet(ctx context.Context, key string, value []byte, opts []kv.SetOption) (kv.SetOptions, error) {
	if err := s.life.BeginWrite(ctx); err != nil {
		return kv.SetOptions{}, err
	}
	o, err := s.opts.now.SetOptions(opts...)
	if err == nil {
		err = s.checkSize(key, value)
	}
	return o, err
}

// Delete removes key. Deleting an absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return s.keyErr("delete", key, err)
	}
	pk, _ := pkOf(key)
	if _, err := s.pool.Exec(ctx, s.q.del, pk); err != nil {
		return s.keyErr("delete", key, err)
	}
	return nil
}

// Len counts the rows that have not expired (SELECT count(*), a pass over
// the table or its primary key).
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := s.life.Begin(ctx); err != nil {
		return 0, s.opErr("len", err)
	}
	var n int64
	if err := s.pool.QueryRow(ctx, s.q.count, s.opts.now.Now()).Scan(&n); err != nil {
		return 0, s.opErr("len", err)
	}
	return int(n), nil
}

// Clear deletes every row of the store's table (DELETE, not TRUNCATE,
// which would wait for, and block, every other reader of the table).
// Other tables are untouched.
func (s *Store) Clear(ctx context.Context) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return s.opErr("clear", err)
	}
	if _, err := s.pool.Exec(ctx, s.q.clear); err != nil {
		return s.opErr("clear", err)
	}
	return nil
}

// Close stops the janitor, waiting for a round under way to end, marks
// the store closed, after which every method fails with an error wrapping
// kv.ErrClosed, and closes the pool when the store made it (Open). A
// store from New leaves its pool open. Close is idempotent and returns
// nil.
func (s *Store) Close() error {
	if !s.life.Close() {
		return nil
	}
	s.stop()
	s.janitor.Wait()
	if s.owned {
		s.pool.Close()
	}
	return nil
}
