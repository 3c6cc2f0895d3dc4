package mongo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"log/slog"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

// Fields of the documents a Store writes.
const (
	fieldID      = "_id"       // the key, or the hash of a key (see docID)
	fieldKey     = "k"         // the key, when _id is its hash (binary)
	fieldValue   = "v"         // the value (binary)
	fieldExpires = "expiresAt" // expiry as a BSON date, rounded up to the millisecond: the TTL index field
	fieldExpNs   = "xn"        // expiry in Unix nanoseconds (int64): what reads compare
)

// DefaultCollection is the collection a Store uses unless WithCollection
// names another.
const DefaultCollection = "kv"

// MaxValueSize is the largest value a Store accepts: a document holds at
// most 16 MiB, and the key and fields need the rest. Set of a larger
// value fails with kv.ErrTooLarge.
const MaxValueSize = 15 << 20

// inBatch is how many keys one find or delete with $in names.
const inBatch = 1000

// Store is a kv.Store[string, []byte] over one MongoDB collection. It also
// implements kv.BatchGetter, kv.BatchSetter, kv.BatchDeleter,
// kv.PrefixScanner (a range query on _id) and kv.KeyScanner (the same
// query projecting keys and expiry only). It is safe for concurrent use.
//
// Make one with New or Open; the zero Store is not usable.
type Store struct {
	client *mongo.Client
	coll   *mongo.Collection
	owned  bool // Close disconnects the client
	log    *slog.Logger

	life storekit.Lifecycle
	now  storekit.Clock // nil: time.Now
}

// Option configures a Store.
type Option func(*storeOptions)

type storeOptions struct {
	collection string
	clientOpts []*options.ClientOptions
	ttlIndex   bool
	log        *slog.Logger
}

// WithCollection sets the collection the store keeps its entries in
// (default DefaultCollection). Stores over different collections of one
// database are independent; Clear empties only its own.
func WithCollection(name string) Option { return func(o *storeOptions) { o.collection = name } }

// WithClientOptions adds options for the client Open connects with
// (credentials, TLS, timeouts, pool size), applied after the URI. New
// ignores them.
func WithClientOptions(opts ...*options.ClientOptions) Option {
	return func(o *storeOptions) { o.clientOpts = append(o.clientOpts, opts...) }
}

// WithTTLIndex says whether New and Open create the TTL index on
// "expiresAt" that makes the server delete expired entries (default true).
// A server that cannot create it is logged and ignored: expiry is enforced
// on read either way, the index only frees the space.
func WithTTLIndex(create bool) Option { return func(o *storeOptions) { o.ttlIndex = create } }

// WithLogger sets where the store logs what it cannot report as an error
// (a server that refuses the TTL index). The default discards.
func WithLogger(l *slog.Logger) Option { return func(o *storeOptions) { o.log = l } }

func resolve(opts []Option) storeOptions {
	o := storeOptions{collection: DefaultCollection, ttlIndex: true}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	return o
}

// setupTimeout bounds the index creation New does, having no context.
const setupTimeout = 30 * time.Second

// New returns a Store over the collection (see WithCollection) of database
// using client, which the caller owns: Close does not disconnect it, and
// any number of stores may share it. Unless WithTTLIndex(false) is given,
// New creates the TTL index, waiting at most 30 seconds.
func New(client *mongo.Client, database string, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errs.Err("new", errors.New("nil client"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	return newStore(ctx, client, false, database, resolve(opts))
}

// Open connects to the server at uri (a mongodb:// or mongodb+srv://
// connection string, which may carry credentials and tls=true) with the
// options of WithClientOptions, and returns a Store over the collection
// (see WithCollection) of database. The store owns the client: Close
// disconnects it.
func Open(ctx context.Context, uri string, database string, opts ...Option) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, errs.Err("open", err)
	}
	o := resolve(opts)
	copts := append([]*options.ClientOptions{options.Client().ApplyURI(uri)}, o.clientOpts...)
	client, err := mongo.Connect(copts...)
	if err != nil {
		return nil, errs.Err("open", err)
	}
	s, err := newStore(ctx, client, true, database, o)
	if err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, err
	}
	return s, nil
}

// OpenReadOnly is Open for a store that only reads an existing
// collection: it creates no index (WithTTLIndex is ignored), fails with an
// error wrapping fs.ErrNotExist when the collection does not exist (so
// that a mistyped name is not taken for an empty store, and no later call
// creates it), and every write (Set, Delete, Clear, SetMany, DeleteMany)
// fails with an error wrapping kv.ErrReadOnly before it reaches the
// server.
func OpenReadOnly(ctx context.Context, uri string, database string, opts ...Option) (*Store, error) {
	s, err := Open(ctx, uri, database, append(opts, WithTTLIndex(false))...)
	if err != nil {
		return nil, err
	}
	s.life.SetReadOnly()
	names, err := s.coll.Database().ListCollectionNames(ctx, bson.D{{Key: "name", Value: s.coll.Name()}})
	if err == nil && !slices.Contains(names, s.coll.Name()) {
		err = fmt.Errorf("collection %s.%s: %w", database, s.coll.Name(), fs.ErrNotExist)
	}
	if err != nil {
		s.Close()
		return nil, errs.Err("open", err)
	}
	return s, nil
}

func newStore(ctx context.Context, client *mongo.Client, owned bool, database string, o storeOptions) (*Store, error) {
	if database == "" {
		return nil, errs.Err("new", errors.New("empty database name"))
	}
	if o.collection == "" {
		return nil, errs.Err("new", errors.New("empty collection name"))
	}
	s := &Store{
		client: client,
		coll:   client.Database(database).Collection(o.collection),
		owned:  owned,
		log:    o.log,
	}
	if o.ttlIndex {
		s.createTTLIndex(ctx)
	}
	return s, nil
}

// createTTLIndex creates the index that lets the server delete expired
// documents. Failure is logged, not returned.
func (s *Store) createTTLIndex(ctx context.Context) {
	_, err := s.coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: fieldExpires, Value: 1}},
		Options: options.Index().SetExpireAfterSeconds(0),
	})
	if err != nil {
		s.log.Warn("kv/mongo: cannot create the TTL index; expired entries are only hidden, not deleted",
			"collection", s.coll.Name(), "err", err)
	}
}

// Client returns the client the store uses.
func (s *Store) Client() *mongo.Client { return s.client }

// Collection returns the collection the store keeps its entries in.
func (s *Store) Collection() *mongo.Collection { return s.coll }

// Close marks the store closed: every later call fails with kv.ErrClosed.
// A store made by Open disconnects its client; one made by New leaves the
// caller's client connected. Close is idempotent.
func (s *Store) Close() error {
	if !s.life.Close() || !s.owned {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.client.Disconnect(ctx); err != nil {
		return errs.Err("close", err)
	}
	return nil
}

const errs storekit.Backend = "mongo"

func checkSize(key string, value []byte) error {
	if err := storekit.CheckKeySize(key, MaxKeySize); err != nil {
		return err
	}
	if len(value) > MaxValueSize {
		return fmt.Errorf("%w: value of %d bytes, at most %d", kv.ErrTooLarge, len(value), MaxValueSize)
	}
	return nil
}

// document returns the document of an entry.
func document(key string, value []byte, expiresAt time.Time) bson.D {
	if value == nil {
		value = []byte{}
	}
	d := make(bson.D, 0, 5)
	d = append(d, bson.E{Key: fieldID, Value: docID(key)})
	if !plain(key) {
		d = append(d, bson.E{Key: fieldKey, Value: bson.Binary{Data: []byte(key)}})
	}
	d = append(d, bson.E{Key: fieldValue, Value: bson.Binary{Data: value}})
	if !expiresAt.IsZero() {
		ms := expiresAt.UnixMilli()
		if expiresAt.UnixNano()%int64(time.Millisecond) != 0 {
			ms++ // the server must never delete an entry early
		}
		d = append(d,
			bson.E{Key: fieldExpires, Value: bson.DateTime(ms)},
			bson.E{Key: fieldExpNs, Value: expiresAt.UnixNano()})
	}
	return d
}

// decoded is one document read back.
type decoded struct {
	key       string
	value     []byte
	expiresAt time.Time
}

// decode reads a document; withValue says whether the value must be there
// (it is not in projections of keys and expiry).
func decode(doc bson.Raw, withValue bool) (decoded, error) {
	var d decoded
	key, err := keyOf(doc)
	if err != nil {
		return d, fmt.Errorf("%w: %v", kv.ErrCorrupt, err)
	}
	d.key = key
	if xn, err := doc.LookupErr(fieldExpNs); err == nil {
		ns, ok := xn.Int64OK()
		if !ok {
			return d, fmt.Errorf("%w: expiry is not an int64", kv.ErrCorrupt)
		}
		d.expiresAt = time.Unix(0, ns)
	}
	if !withValue {
		return d, nil
	}
	v, err := doc.LookupErr(fieldValue)
	if err != nil {
		return d, fmt.Errorf("%w: document without a value", kv.ErrCorrupt)
	}
	_, data, ok := v.BinaryOK()
	if !ok {
		return d, fmt.Errorf("%w: value is not binary", kv.ErrCorrupt)
	}
	d.value = append([]byte{}, data...) // the document's buffer may be reused by the cursor
	return d, nil
}

// liveFilter selects the documents that have not expired at now.
func liveFilter(now time.Time) bson.D {
	return bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: fieldExpNs, Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: fieldExpNs, Value: bson.D{{Key: "$gt", Value: now.UnixNano()}}}},
	}}}
}

var keysProjection = bson.D{{Key: fieldID, Value: 1}, {Key: fieldKey, Value: 1}, {Key: fieldExpNs, Value: 1}}

// Get returns the value of key, or an error wrapping kv.ErrNotFound when
// it is absent or expired.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.life.Begin(ctx); err != nil {
		return nil, errs.Key("get", key, err)
	}
	if err := storekit.CheckKeySize(key, MaxKeySize); err != nil {
		return nil, errs.Key("get", key, err)
	}
	d, err := s.find(ctx, key, true)
	if err != nil {
		return nil, errs.Key("get", key, err)
	}
	return d.value, nil
}

func (s *Store) find(ctx context.Context, key string, withValue bool) (decoded, error) {
	var opts []options.Lister[options.FindOneOptions]
	if !withValue {
		opts = append(opts, options.FindOne().SetProjection(keysProjection))
	}
	doc, err := s.coll.FindOne(ctx, bson.D{{Key: fieldID, Value: docID(key)}}, opts...).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return decoded{}, kv.ErrNotFound
	}
	if err != nil {
		return decoded{}, err
	}
	d, err := decode(doc, withValue)
	if err != nil {
		return decoded{}, err
	}
	if d.key != key {
		return decoded{}, fmt.Errorf("%w: document holds another key", kv.ErrCorrupt)
	}
	if s.now.Expired(d.expiresAt) {
		return decoded{}, kv.ErrNotFound
	}
	return d, nil
}

// Has reports whether key is present and not expired.
func (s *Store) Has(ctx context.Context, key string) (bool, error) {
	if err := s.life.Begin(ctx); err != nil {
		return false, errs.Key("has", key, err)
	}
	if err := storekit.CheckKeySize(key, MaxKeySize); err != nil {
		return false, errs.Key("has", key, err)
	}
	_, err := s.find(ctx, key, false)
	if errors.Is(err, kv.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, errs.Key("has", key, err)
	}
	return true, nil
}

// Set stores value under key (a replace with upsert) with the expiry the
// options give. Keys longer than MaxKeySize and values larger than
// MaxValueSize fail with kv.ErrTooLarge, a negative TTL with
// kv.ErrInvalidTTL; nothing is written then, nor when ctx is done before
// the call.
func (s *Store) Set(ctx context.Context, key string, value []byte, opts ...kv.SetOption) error {
	o, err := s.now.SetOptions(opts...)
	if err != nil {
		return errs.Key("set", key, err)
	}
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Key("set", key, err)
	}
	if err := checkSize(key, value); err != nil {
		return errs.Key("set", key, err)
	}
	filter := bson.D{{Key: fieldID, Value: docID(key)}}
	doc := document(key, value, o.ExpiresAt)
	for attempt := 0; ; attempt++ {
		_, err = s.coll.ReplaceOne(ctx, filter, doc, options.Replace().SetUpsert(true))
		if err == nil {
			return nil
		}
		// Two upserts of one absent key race to insert it; the loser
		// fails with a duplicate key error, and replaces the winner's
		// document when run again.
		if !mongo.IsDuplicateKeyError(err) || attempt == maxUpsertAttempts-1 {
			return errs.Key("set", key, err)
		}
	}
}

// maxUpsertAttempts bounds the retries of an upsert that lost a race to
// insert its key.
const maxUpsertAttempts = 5

// Delete removes key. Deleting an absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Key("delete", key, err)
	}
	if err := storekit.CheckKeySize(key, MaxKeySize); err != nil {
		return errs.Key("delete", key, err)
	}
	if _, err := s.coll.DeleteOne(ctx, bson.D{{Key: fieldID, Value: docID(key)}}); err != nil {
		return errs.Key("delete", key, err)
	}
	return nil
}

// Len counts the documents that have not expired (CountDocuments with the
// expiry filter).
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := s.life.Begin(ctx); err != nil {
		return 0, errs.Err("len", err)
	}
	n, err := s.coll.CountDocuments(ctx, liveFilter(s.now.Now()))
	if err != nil {
		return 0, errs.Err("len", err)
	}
	return int(n), nil
}

// Clear deletes every document of the store's collection, and nothing
// else: other collections of the database are untouched, and the
// collection and its indexes stay.
func (s *Store) Clear(ctx context.Context) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Err("clear", err)
	}
	if _, err := s.coll.DeleteMany(ctx, bson.D{}); err != nil {
		return errs.Err("clear", err)
	}
	return nil
}

// scan runs the find of q and calls each with every document until it
// returns false; it closes the cursor however it ends.
func (s *Store) scan(ctx context.Context, op string, q query, projection any, each func(bson.Raw) bool) error {
	cur, err := s.coll.Find(ctx, q.filter(s.now.Now()), q.findOptions(projection))
	if err != nil {
		return errs.Err(op, err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	for cur.Next(ctx) {
		if !each(cur.Current) {
			return nil
		}
		if s.life.Closed() {
			return errs.Err(op, kv.ErrClosed)
		}
	}
	if err := cur.Err(); err != nil {
		return errs.Err(op, err)
	}
	return nil
}

// Keys yields every key that is present and not expired, from one cursor
// over the collection. Breaking out of the loop closes the cursor.
func (s *Store) Keys(ctx context.Context) iter.Seq2[string, error] {
	if err := s.life.Begin(ctx); err != nil {
		return kv.ErrorSeq[string](errs.Err("keys", err))
	}
	return s.keys(ctx, "keys", query{})
}

// keys yields the live keys q lists, reading their _id, key and expiry
// only.
func (s *Store) keys(ctx context.Context, op string, q query) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		stopped := false
		err := s.scan(ctx, op, q, keysProjection, func(doc bson.Raw) bool {
			d, err := decode(doc, false)
			if err != nil {
				stopped = !yield("", errs.Err(op, err))
				return !stopped
			}
			if s.now.Expired(d.expiresAt) || !q.wants(d.key) {
				return true
			}
			stopped = !yield(d.key, nil)
			return !stopped
		})
		if err != nil && !stopped {
			yield("", err)
		}
	}
}

// All yields every entry that is present and not expired, from one cursor
// over the collection. Breaking out of the loop closes the cursor.
func (s *Store) All(ctx context.Context) iter.Seq2[kv.Entry[string, []byte], error] {
	if err := s.life.Begin(ctx); err != nil {
		return kv.ErrorSeq[kv.Entry[string, []byte]](errs.Err("all", err))
	}
	return s.entries(ctx, "all", query{})
}

// entries yields the live entries q lists.
func (s *Store) entries(ctx context.Context, op string, q query) iter.Seq2[kv.Entry[string, []byte], error] {
	type entry = kv.Entry[string, []byte]
	return func(yield func(entry, error) bool) {
		stopped := false
		err := s.scan(ctx, op, q, nil, func(doc bson.Raw) bool {
			d, err := decode(doc, true)
			if err != nil {
				stopped = !yield(entry{}, errs.Err(op, err))
				return !stopped
			}
			if s.now.Expired(d.expiresAt) || !q.wants(d.key) {
				return true
			}
			stopped = !yield(entry{Key: d.key, Value: d.value, ExpiresAt: d.expiresAt}, nil)
			return !stopped
		})
		if err != nil && !stopped {
			yield(entry{}, err)
		}
	}
}

var (
	_ kv.Store[string, []byte]       = (*Store)(nil)
	_ kv.BatchGetter[string, []byte] = (*Store)(nil)
	_ kv.BatchSetter[string, []byte] = (*Store)(nil)
	_ kv.BatchDeleter[string]        = (*Store)(nil)
	_ kv.PrefixScanner[[]byte]       = (*Store)(nil)
	_ kv.KeyScanner                  = (*Store)(nil)
)
