package dynamodb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/logging"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

// Attribute names of the items a Store writes.
const (
	attrKey   = "k"          // partition key (B), see partitionKey
	attrOrig  = "ok"         // the key, on items whose partition key is a hash (B)
	attrValue = "v"          // the value, when stored in the item itself (B)
	attrTTL   = TTLAttribute // expiry in Unix seconds, rounded up (N)
	attrExpNs = "xn"         // expiry in Unix nanoseconds (N): what reads compare
	attrGen   = "g"          // generation of a chunked value (B)
	attrCount = "n"          // number of chunks of a chunked value (N)
	attrSize  = "sz"         // size of a chunked value (N)
	attrChunk = "cd"         // data of one chunk (B)
)

// TTLAttribute is the attribute that holds an entry's expiry in Unix
// seconds, the one to enable DynamoDB's Time to Live on. The expiry is
// rounded up to the second so that DynamoDB never deletes an entry early;
// reads compare a nanosecond expiry kept in another attribute, so an
// entry is invisible from the instant it expires whenever DynamoDB gets
// round to deleting it.
const TTLAttribute = "exp"

// DefaultMaxValueSize is the largest value a Store accepts unless
// WithMaxValueSize says otherwise.
const DefaultMaxValueSize = 16 << 20

// chunkSize is the size of each chunk of a large value, and inlineMax the
// most bytes of key and value a head item holds itself: both stay well
// under DynamoDB's 400 KB item limit, which counts attribute names too.
const (
	chunkSize = 350 << 10
	inlineMax = 380 << 10
)

// Store is a kv.Store[string, []byte] over one DynamoDB table. It also
// implements kv.BatchGetter, kv.BatchSetter and kv.BatchDeleter with
// BatchGetItem and BatchWriteItem, and kv.PrefixScanner and kv.KeyScanner
// with a Scan of the whole table filtered by begins_with (see Scan). It
// is safe for concurrent use.
//
// Make one with New or Open; the zero Store is not usable.
type Store struct {
	client   *dynamodb.Client
	table    *string
	maxValue int
	log      *slog.Logger

	life storekit.Lifecycle
	now  storekit.Clock // nil: time.Now
}

// Option configures a Store.
type Option func(*options)

type options struct {
	endpoint    string
	region      string
	awsOpts     []func(*config.LoadOptions) error
	createTable bool
	enableTTL   bool
	maxValue    int
	log         *slog.Logger
}

// WithEndpoint makes Open talk to url (DynamoDB Local, a VPC endpoint)
// instead of the regional endpoint. New ignores it.
func WithEndpoint(url string) Option { return func(o *options) { o.endpoint = url } }

// WithRegion sets the AWS region Open uses, overriding the one from the
// environment and shared config files. New ignores it.
func WithRegion(region string) Option { return func(o *options) { o.region = region } }

// WithAWSConfigOptions passes options to config.LoadDefaultConfig when
// Open builds its client: credentials, a profile, retry settings, an HTTP
// client. New ignores them.
func WithAWSConfigOptions(opts ...func(*config.LoadOptions) error) Option {
	return func(o *options) { o.awsOpts = append(o.awsOpts, opts...) }
}

// WithCreateTable makes New and Open create the table when it does not
// exist: on-demand billing, partition key "k" of type binary, Time to
// Live enabled on TTLAttribute. They wait until the table is active.
func WithCreateTable(create bool) Option { return func(o *options) { o.createTable = create } }

// WithEnableTTL makes New and Open enable Time to Live on TTLAttribute
// for an existing table, unless it is enabled already. A server that does
// not support it (some emulators) is logged and ignored: expiry is
// enforced on read either way, Time to Live only frees the space.
func WithEnableTTL(enable bool) Option { return func(o *options) { o.enableTTL = enable } }

// WithMaxValueSize sets the largest value Set accepts (default
// DefaultMaxValueSize); larger values fail with kv.ErrTooLarge. Values
// larger than one item holds are stored in chunks of about 350 KB.
func WithMaxValueSize(n int) Option { return func(o *options) { o.maxValue = n } }

// WithLogger sets where the store logs what it cannot report as an error
// (a server that refuses to enable Time to Live). The default discards.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

func resolve(opts []Option) options {
	o := options{maxValue: DefaultMaxValueSize}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.maxValue <= 0 {
		o.maxValue = DefaultMaxValueSize
	}
	return o
}

// setupTimeout bounds the table set-up New does, having no context.
const setupTimeout = 2 * time.Minute

// New returns a Store over table using client, which the caller owns:
// Close does not affect it, and any number of stores (over as many tables)
// may share it. New does no I/O unless WithCreateTable or WithEnableTTL is
// given; it then waits at most two minutes for the table (use Open, or
// call EnsureTable, to bound that with a context).
//
// An existing table must have a partition key named "k" of type binary
// (B) and no sort key.
func New(client *dynamodb.Client, table string, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errs.Err("new", errors.New("nil client"))
	}
	if table == "" {
		return nil, errs.Err("new", errors.New("empty table name"))
	}
	o := resolve(opts)
	s := &Store{client: client, table: aws.String(table), maxValue: o.maxValue, log: o.log}
	if o.createTable || o.enableTTL {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if err := s.setup(ctx, o); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Open returns a Store over table with a client of its own, configured
// from the standard AWS chain (environment, shared config and credentials
// files, IAM role) by config.LoadDefaultConfig, then WithRegion,
// WithEndpoint and WithAWSConfigOptions. Close releases the client's
// connections.
func Open(ctx context.Context, table string, opts ...Option) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, errs.Err("open", err)
	}
	if table == "" {
		return nil, errs.Err("open", errors.New("empty table name"))
	}
	o := resolve(opts)
	// The SDK logs to stderr by default (among others, a warning on every
	// error response whose body it did not read); a store is silent unless
	// told otherwise, so that goes unless the caller sets a logger.
	loads := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if o.region != "" {
		loads = append(loads, config.WithRegion(o.region))
	}
	loads = append(loads, o.awsOpts...)
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, errs.Err("open", fmt.Errorf("load AWS config: %w", err))
	}
	client := dynamodb.NewFromConfig(cfg, func(d *dynamodb.Options) {
		if o.endpoint != "" {
			d.BaseEndpoint = aws.String(o.endpoint)
		}
	})
	s := &Store{client: client, table: aws.String(table), maxValue: o.maxValue, log: o.log}
	if o.createTable || o.enableTTL {
		if err := s.setup(ctx, o); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// OpenReadOnly is Open for a store that only reads an existing table: it
// creates no table and changes no Time to Live setting (WithCreateTable
// and WithEnableTTL are ignored), fails with an error wrapping
// fs.ErrNotExist when the table does not exist, checks an existing one's
// key as Open does, and makes every write (Set, Delete, Clear, SetMany,
// DeleteMany, the conditional writes, EnsureTable) fail with an error
// wrapping kv.ErrReadOnly before it reaches the server.
func OpenReadOnly(ctx context.Context, table string, opts ...Option) (*Store, error) {
	s, err := Open(ctx, table, append(opts, WithCreateTable(false), WithEnableTTL(false))...)
	if err != nil {
		return nil, err
	}
	s.life.SetReadOnly()
	desc, err := s.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: s.table})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		err = errs.Err("open", fmt.Errorf("table %s: %w", table, fs.ErrNotExist))
	case err != nil:
		err = errs.Err("describe table", err)
	default:
		err = errs.Err("check table", checkSchema(desc.Table))
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Client returns the DynamoDB client the store uses.
func (s *Store) Client() *dynamodb.Client { return s.client }

// Table returns the name of the store's table.
func (s *Store) Table() string { return *s.table }

// MaxValueSize returns the largest value Set accepts.
func (s *Store) MaxValueSize() int { return s.maxValue }

// Close marks the store closed: every later call fails with kv.ErrClosed.
// The client is left alone (a DynamoDB client holds nothing to release),
// so a client passed to New goes on serving its other users. Close is
// idempotent.
func (s *Store) Close() error {
	s.life.Close()
	return nil
}

const errs storekit.Backend = "dynamodb"

// head is a decoded entry item.
type head struct {
	key       string
	value     []byte // when not chunked
	expiresAt time.Time
	chunks    chunkRef // gen != nil when chunked
}

// chunkRef names the chunks of a large value.
type chunkRef struct {
	gen  []byte
	n    int
	size int
}

func b(v []byte) types.AttributeValue { return &types.AttributeValueMemberB{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func getB(item map[string]types.AttributeValue, name string) ([]byte, bool) {
	v, ok := item[name].(*types.AttributeValueMemberB)
	if !ok {
		return nil, false
	}
	return v.Value, true
}

func getN(item map[string]types.AttributeValue, name string) (int64, bool, error) {
	v, ok := item[name]
	if !ok {
		return 0, false, nil
	}
	nv, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, false, fmt.Errorf("attribute %q is not a number", name)
	}
	i, err := strconv.ParseInt(nv.Value, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("attribute %q: %v", name, err)
	}
	return i, true, nil
}

// decodeHead decodes an entry item, or a projection of one with at least
// the key attributes and the expiry; withValue says whether the value
// attributes must be there.
func decodeHead(item map[string]types.AttributeValue, withValue bool) (head, error) {
	var h head
	pk, ok := getB(item, attrKey)
	if !ok {
		return h, fmt.Errorf("%w: item without a binary partition key", kv.ErrCorrupt)
	}
	orig, hasOrig := getB(item, attrOrig)
	key, err := keyOf(pk, orig, hasOrig)
	if err != nil {
		return h, fmt.Errorf("%w: %v", kv.ErrCorrupt, err)
	}
	h.key = key
	xn, ok, err := getN(item, attrExpNs)
	if err != nil {
		return h, fmt.Errorf("%w: %v", kv.ErrCorrupt, err)
	}
	if ok {
		h.expiresAt = time.Unix(0, xn)
	}
	if !withValue {
		return h, nil
	}
	if gen, ok := getB(item, attrGen); ok {
		cnt, ok1, err1 := getN(item, attrCount)
		size, ok2, err2 := getN(item, attrSize)
		if err := errors.Join(err1, err2); err != nil || !ok1 || !ok2 || len(gen) != genSize || cnt <= 0 || size < 0 {
			return h, fmt.Errorf("%w: chunked item with bad chunk attributes", kv.ErrCorrupt)
		}
		h.chunks = chunkRef{gen: gen, n: int(cnt), size: int(size)}
		return h, nil
	}
	v, ok := getB(item, attrValue)
	if !ok {
		return h, fmt.Errorf("%w: item without a value", kv.ErrCorrupt)
	}
	if v == nil {
		v = []byte{}
	}
	h.value = v
	return h, nil
}

// refOf returns the chunks an item (or a projection with attrGen and
// attrCount) points at; the zero chunkRef when none.
func refOf(item map[string]types.AttributeValue) chunkRef {
	gen, ok := getB(item, attrGen)
	if !ok || len(gen) != genSize {
		return chunkRef{}
	}
	cnt, _, _ := getN(item, attrCount)
	size, _, _ := getN(item, attrSize)
	return chunkRef{gen: gen, n: int(cnt), size: int(size)}
}

// expiryAttrs adds the expiry attributes for expiresAt to item.
func expiryAttrs(item map[string]types.AttributeValue, expiresAt time.Time) {
	if expiresAt.IsZero() {
		return
	}
	sec := expiresAt.Unix()
	if expiresAt.Nanosecond() > 0 {
		sec++
	}
	item[attrTTL] = n(sec)
	item[attrExpNs] = n(expiresAt.UnixNano())
}

// Get returns the value of key, or an error wrapping kv.ErrNotFound when
// it is absent or expired. Reads are strongly consistent.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.life.Begin(ctx); err != nil {
		return nil, errs.Key("get", key, err)
	}
	if err := storekit.CheckKeySize(key, MaxKeySize); err != nil {
		return nil, errs.Key("get", key, err)
	}
	v, _, err := s.get(ctx, key)
	if err != nil {
		return nil, errs.Key("get", key, err)
	}
	return v, nil
}

// readHead reads and decodes key's head item, strongly consistent; found
// is false when there is none (expiry is the caller's to check).
func (s *Store) readHead(ctx context.Context, key string) (h head, found bool, err error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      s.table,
		Key:            map[string]types.AttributeValue{attrKey: b(partitionKey(key))},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil || out.Item == nil {
		return h, false, err
	}
	if h, err = decodeHead(out.Item, true); err != nil {
		return h, false, err
	}
	if h.key != key {
		return h, false, fmt.Errorf("%w: item holds another key", kv.ErrCorrupt)
	}
	return h, true, nil
}

// get reads key's value and expiry, reassembling a chunked value and
// starting again when a concurrent write replaced it meanwhile.
func (s *Store) get(ctx context.Context, key string) ([]byte, time.Time, error) {
	for attempt := 0; ; attempt++ {
		h, found, err := s.readHead(ctx, key)
		if err != nil {
			return nil, time.Time{}, err
		}
		if !found || s.now.Expired(h.expiresAt) {
			return nil, time.Time{}, kv.ErrNotFound
		}
		if h.chunks.gen == nil {
			return h.value, h.expiresAt, nil
		}
		v, err := s.readChunks(ctx, h.chunks)
		if errors.Is(err, errChunkMissing) && attempt < 4 {
			continue // replaced or deleted while we read it
		}
		if errors.Is(err, errChunkMissing) {
			err = fmt.Errorf("%w: %v", kv.ErrCorrupt, err)
		}
		return v, h.expiresAt, err
	}
}

// Has reports whether key is present and not expired.
func (s *Store) Has(ctx context.Context, key string) (bool, error) {
	if err := s.life.Begin(ctx); err != nil {
		return false, errs.Key("has", key, err)
	}
	if err := storekit.CheckKeySize(key, MaxKeySize); err != nil {
		return false, errs.Key("has", key, err)
	}
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                s.table,
		Key:                      map[string]types.AttributeValue{attrKey: b(partitionKey(key))},
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#k, #ok, #xn"),
		ExpressionAttributeNames: map[string]string{"#k": attrKey, "#ok": attrOrig, "#xn": attrExpNs},
	})
	if err != nil {
		return false, errs.Key("has", key, err)
	}
	if out.Item == nil {
		return false, nil
	}
	h, err := decodeHead(out.Item, false)
	if err != nil {
		return false, errs.Key("has", key, err)
	}
	if h.key != key {
		return false, errs.Key("has", key, fmt.Errorf("%w: item holds another key", kv.ErrCorrupt))
	}
	return !s.now.Expired(h.expiresAt), nil
}

// Set stores value under key with the expiry the options give, replacing
// any earlier value. A value larger than one item holds is written in
// chunks first and then made visible by its head item, so a reader sees
// the old value or the new one, never a mix. Keys longer than MaxKeySize
// and values larger than the maximum value size fail with kv.ErrTooLarge;
// a negative TTL with kv.ErrInvalidTTL. Nothing is written then, nor when
// ctx is done before the call.
func (s *Store) Set(ctx context.Context, key string, value []byte, opts ...kv.SetOption) error {
	o, err := s.now.SetOptions(opts...)
	if err != nil {
		return errs.Key("set", key, err)
	}
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Key("set", key, err)
	}
	if err := s.checkSize(key, value); err != nil {
		return errs.Key("set", key, err)
	}
	if err := s.set(ctx, key, value, o.ExpiresAt); err != nil {
		return errs.Key("set", key, err)
	}
	return nil
}

func (s *Store) checkSize(key string, value []byte) error {
	if err := storekit.CheckKeySize(key, MaxKeySize); err != nil {
		return err
	}
	if len(value) > s.maxValue {
		return fmt.Errorf("%w: value of %d bytes, at most %d", kv.ErrTooLarge, len(value), s.maxValue)
	}
	return nil
}

// inline reports whether key and value fit in one item.
func inline(key string, value []byte) bool {
	k := 0
	if len(key) > MaxInlineKeySize {
		k = len(key)
	}
	return k+len(value) <= inlineMax
}

// headItem returns the item of an entry whose value is stored inline, or
// (with ref set) in chunks.
func headItem(key string, value []byte, ref chunkRef, expiresAt time.Time) map[string]types.AttributeValue {
	pk := partitionKey(key)
	item := map[string]types.AttributeValue{attrKey: b(pk)}
	if hashed(pk) {
		item[attrOrig] = b([]byte(key))
	}
	if ref.gen != nil {
		item[attrGen] = b(ref.gen)
		item[attrCount] = n(int64(ref.n))
		item[attrSize] = n(int64(ref.size))
	} else {
		if value == nil {
			value = []byte{}
		}
		item[attrValue] = b(value)
	}
	expiryAttrs(item, expiresAt)
	return item
}

func (s *Store) set(ctx context.Context, key string, value []byte, expiresAt time.Time) error {
	item, ref, err := s.newHead(ctx, key, value, expiresAt)
	if err != nil {
		return err
	}
	old, err := s.replaceHead(ctx, item)
	if err != nil {
		s.dropUnlessHead(ctx, item[attrKey], ref)
		return err
	}
	if old.gen != nil {
		return s.deleteChunks(ctx, old)
	}
	return nil
}

// headPointsAt reports whether the head item under pk points at the
// chunks of ref: a write whose reply was lost (a cancelled context, a
// broken connection) may have happened, and then its chunks must stay.
// When that cannot be read, it says true: chunks left behind are wasted
// space, chunks deleted under a head are a lost value.
func (s *Store) headPointsAt(ctx context.Context, pk types.AttributeValue, ref chunkRef) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                s.table,
		Key:                      map[string]types.AttributeValue{attrKey: pk},
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#g"),
		ExpressionAttributeNames: map[string]string{"#g": attrGen},
	})
	if err != nil {
		return true
	}
	g, _ := getB(out.Item, attrGen)
	return bytes.Equal(g, ref.gen)
}

// replaceHead writes a head item and returns the chunks of the item it
// replaced, if that one was chunked. The write is conditional on the
// generation it replaces, so every old generation is returned to exactly
// one writer, which deletes its chunks.
func (s *Store) replaceHead(ctx context.Context, item map[string]types.AttributeValue) (chunkRef, error) {
	return s.conditionalLoop(ctx, item[attrKey], func(cond *string, vals map[string]types.AttributeValue) error {
		_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                           s.table,
			Item:                                item,
			ConditionExpression:                 cond,
			ExpressionAttributeNames:            map[string]string{"#g": attrGen},
			ExpressionAttributeValues:           vals,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		return err
	})
}

// deleteHead deletes a head item and returns the chunks it pointed at,
// under the same rule as replaceHead.
func (s *Store) deleteHead(ctx context.Context, pk []byte) (chunkRef, error) {
	key := map[string]types.AttributeValue{attrKey: b(pk)}
	return s.conditionalLoop(ctx, key[attrKey], func(cond *string, vals map[string]types.AttributeValue) error {
		_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName:                           s.table,
			Key:                                 key,
			ConditionExpression:                 cond,
			ExpressionAttributeNames:            map[string]string{"#g": attrGen},
			ExpressionAttributeValues:           vals,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		return err
	})
}

// maxConditionalAttempts bounds how often a write retries when concurrent
// writers keep replacing a chunked entry under it.
const maxConditionalAttempts = 16

// conditionalLoop runs write with the condition that the item it
// replaces is not chunked, and when that fails, with the condition that
// it is chunked with the generation found, until one holds.
func (s *Store) conditionalLoop(ctx context.Context, pk types.AttributeValue, write func(cond *string, vals map[string]types.AttributeValue) error) (chunkRef, error) {
	var old chunkRef
	for range maxConditionalAttempts {
		var cond string
		var vals map[string]types.AttributeValue
		if old.gen == nil {
			cond = "attribute_not_exists(#g)"
		} else {
			cond = "#g = :g"
			vals = map[string]types.AttributeValue{":g": b(old.gen)}
		}
		err := write(&cond, vals)
		if err == nil {
			return old, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return chunkRef{}, err
		}
		item := ccf.Item
		if item == nil { // servers that do not return the old item
			out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
				TableName:                s.table,
				Key:                      map[string]types.AttributeValue{attrKey: pk},
				ConsistentRead:           aws.Bool(true),
				ProjectionExpression:     aws.String("#g, #n, #sz"),
				ExpressionAttributeNames: map[string]string{"#g": attrGen, "#n": attrCount, "#sz": attrSize},
			})
			if err != nil {
				return chunkRef{}, err
			}
			item = out.Item
		}
		old = refOf(item)
	}
	return chunkRef{}, errors.New("too many concurrent writes to a chunked entry")
}

// Delete removes key and, for a chunked value, its chunks. Deleting an
// absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Key("delete", key, err)
	}
	if err := storekit.CheckKeySize(key, MaxKeySize); err != nil {
		return errs.Key("delete", key, err)
	}
	old, err := s.deleteHead(ctx, partitionKey(key))
	if err != nil {
		return errs.Key("delete", key, err)
	}
	if old.gen != nil {
		if err := s.deleteChunks(ctx, old); err != nil {
			return errs.Key("delete", key, err)
		}
	}
	return nil
}

// liveFilter selects the entry items (not chunks) that have not expired
// at :now.
const liveFilter = "attribute_not_exists(#cd) AND (attribute_not_exists(#xn) OR #xn > :now)"

func liveNames(extra map[string]string) map[string]string {
	m := map[string]string{"#cd": attrChunk, "#xn": attrExpNs}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func liveValues(now time.Time) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{":now": n(now.UnixNano())}
}

// Len counts the entries that are present and not expired, with a
// strongly consistent Scan of the whole table (Select COUNT): it reads
// every item, so it costs as much as reading the table.
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := s.life.Begin(ctx); err != nil {
		return 0, errs.Err("len", err)
	}
	p := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{
		TableName:                 s.table,
		ConsistentRead:            aws.Bool(true),
		Select:                    types.SelectCount,
		FilterExpression:          aws.String(liveFilter),
		ExpressionAttributeNames:  liveNames(nil),
		ExpressionAttributeValues: liveValues(s.now.Now()),
	})
	total := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return 0, errs.Err("len", err)
		}
		total += int(out.Count)
	}
	return total, nil
}

// Clear deletes every item of the table (entries, chunks, expired items
// DynamoDB has not deleted yet), and nothing else: the table stays.
func (s *Store) Clear(ctx context.Context) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Err("clear", err)
	}
	p := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{
		TableName:                s.table,
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#k"),
		ExpressionAttributeNames: map[string]string{"#k": attrKey},
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return errs.Err("clear", err)
		}
		reqs := make([]types.WriteRequest, 0, len(out.Items))
		for _, it := range out.Items {
			reqs = append(reqs, deleteRequest(it[attrKey]))
		}
		if err := s.batchWrite(ctx, reqs); err != nil {
			return errs.Err("clear", err)
		}
	}
	return nil
}

// Keys yields every key that is present and not expired, from a strongly
// consistent, paginated Scan. Breaking out of the loop stops the scan.
func (s *Store) Keys(ctx context.Context) iter.Seq2[string, error] {
	if err := s.life.Begin(ctx); err != nil {
		return kv.ErrorSeq[string](errs.Err("keys", err))
	}
	return s.keys(ctx, "keys", scope{})
}

// keys yields the live keys of the items sc selects, from a scan
// projecting their key attributes and expiry.
func (s *Store) keys(ctx context.Context, op string, sc scope) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for it, err := range s.items(ctx, op, sc.input(s.table, s.now.Now(), true)) {
			if err != nil {
				yield("", err)
				return
			}
			h, err := decodeHead(it, false)
			if err != nil {
				if !yield("", errs.Err(op, err)) {
					return
				}
				continue
			}
			if s.now.Expired(h.expiresAt) || !sc.wants(h.key) {
				continue
			}
			if !yield(h.key, nil) {
				return
			}
		}
	}
}

// All yields every entry that is present and not expired, from a strongly
// consistent, paginated Scan; chunked values are read as they come.
// Breaking out of the loop stops the scan.
func (s *Store) All(ctx context.Context) iter.Seq2[kv.Entry[string, []byte], error] {
	if err := s.life.Begin(ctx); err != nil {
		return kv.ErrorSeq[kv.Entry[string, []byte]](errs.Err("all", err))
	}
	return s.entries(ctx, "all", scope{})
}

// entries yields the live entries of the items sc selects.
func (s *Store) entries(ctx context.Context, op string, sc scope) iter.Seq2[kv.Entry[string, []byte], error] {
	type entry = kv.Entry[string, []byte]
	return func(yield func(entry, error) bool) {
		for it, err := range s.items(ctx, op, sc.input(s.table, s.now.Now(), false)) {
			if err != nil {
				yield(entry{}, err)
				return
			}
			e, skip, err := s.entryOf(ctx, op, sc, it)
			switch {
			case err != nil:
				if !yield(entry{}, err) || !errors.Is(err, kv.ErrCorrupt) {
					return
				}
			case !skip && !yield(e, nil):
				return
			}
		}
	}
}

// items yields the items of a paginated scan, page by page; an error
// (the store closed, ctx done, a failed page) is yielded once and ends
// the sequence.
func (s *Store) items(ctx context.Context, op string, in *dynamodb.ScanInput) iter.Seq2[map[string]types.AttributeValue, error] {
	return func(yield func(map[string]types.AttributeValue, error) bool) {
		p := dynamodb.NewScanPaginator(s.client, in)
		for p.HasMorePages() {
			if s.life.Closed() {
				yield(nil, errs.Err(op, kv.ErrClosed))
				return
			}
			out, err := p.NextPage(ctx)
			if err != nil {
				yield(nil, errs.Err(op, err))
				return
			}
			for _, it := range out.Items {
				if err := ctx.Err(); err != nil {
					yield(nil, errs.Err(op, err))
					return
				}
				if !yield(it, nil) {
					return
				}
			}
		}
	}
}

// entryOf decodes one item of a scan of entries, reading the chunks of a
// large value. skip is true for an entry that expired, or went, since the
// scan read it, and for one sc does not want. An error wrapping
// kv.ErrCorrupt is about this item alone.
func (s *Store) entryOf(ctx context.Context, op string, sc scope, it map[string]types.AttributeValue) (e kv.Entry[string, []byte], skip bool, err error) {
	h, err := decodeHead(it, true)
	if err != nil {
		return e, false, errs.Err(op, err)
	}
	if s.now.Expired(h.expiresAt) || !sc.wants(h.key) {
		return e, true, nil
	}
	v := h.value
	if h.chunks.gen != nil {
		v, h.expiresAt, err = s.get(ctx, h.key)
		if errors.Is(err, kv.ErrNotFound) {
			return e, true, nil // deleted or expired since the scan read it
		}
		if err != nil {
			return e, false, errs.Key(op, h.key, err)
		}
	}
	return kv.Entry[string, []byte]{Key: h.key, Value: v, ExpiresAt: h.expiresAt}, false, nil
}

var (
	_ kv.Store[string, []byte]       = (*Store)(nil)
	_ kv.BatchGetter[string, []byte] = (*Store)(nil)
	_ kv.BatchSetter[string, []byte] = (*Store)(nil)
	_ kv.BatchDeleter[string]        = (*Store)(nil)
	_ kv.PrefixScanner[[]byte]       = (*Store)(nil)
	_ kv.KeyScanner                  = (*Store)(nil)
)
