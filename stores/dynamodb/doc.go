// Package dynamodb is the Amazon DynamoDB backend of kv: a
// kv.Store[string, []byte] over one table, through
// github.com/aws/aws-sdk-go-v2/service/dynamodb. The store's name is the
// table.
//
// # Making a store
//
// Open builds its own client from the standard AWS configuration chain
// (environment variables, the shared config and credentials files, an IAM
// role for EC2, ECS, EKS or Lambda), so in production it needs nothing but
// the table name and, where the environment does not say, a region:
//
//	s, err := dynamodb.Open(ctx, "responses", dynamodb.WithRegion("eu-west-1"))
//
// Anything config.LoadDefaultConfig takes goes through
// WithAWSConfigOptions: a named profile (config.WithSharedConfigProfile),
// explicit credentials (config.WithCredentialsProvider), an assumed role, a
// retry policy, an HTTP client with its own TLS settings. WithEndpoint
// points at DynamoDB Local or a VPC endpoint. TLS is the SDK's: regional
// endpoints are HTTPS; an endpoint with a private CA needs the CA, through
// WithAWSConfigOptions(config.WithCustomCABundle(...)) or the
// AWS_CA_BUNDLE environment variable (which stores.Open honours too).
// Every request is signed (SigV4); the secret key never leaves the process.
//
// New takes a *dynamodb.Client the caller already has. That is the answer
// to "can several stores, or several sessions, reuse one connection": make
// one client and give it to as many stores (over as many tables) as you
// like; Close of a store never affects the client. The client is safe for
// concurrent use and keeps its own connection pool.
//
// WithCreateTable(true) creates a missing table (on-demand billing,
// partition key "k" of type binary) and enables Time to Live on it; an
// existing table must have that key schema. Tables are usually made by
// infrastructure code instead: the store then needs dynamodb:GetItem,
// PutItem, DeleteItem, BatchGetItem, BatchWriteItem and Scan on it.
//
// # What is stored
//
// Each entry is one item: partition key "k" (binary, see below), the value
// in "v" (binary) and, for an entry with an expiry, "exp" (Unix seconds,
// rounded up; the Time to Live attribute, see TTLAttribute) and "xn" (Unix
// nanoseconds). DynamoDB deletes expired items lazily, up to days late, so
// every read compares "xn" with the clock as well: an expired entry is
// never returned, counted or listed. Reads are strongly consistent.
//
// Keys: DynamoDB partition keys must be 1 to 2048 bytes, and string keys
// valid UTF-8. The store accepts any key of up to MaxKeySize bytes (empty,
// binary, with NUL bytes) with an injective scheme: the partition key is
// the byte 0x00 followed by the key for keys of at most MaxInlineKeySize
// bytes, and the byte 0x01 followed by the key's SHA-256 hash for longer
// ones, whose item keeps the key itself in "ok" (checked on every read).
//
// Values: an item holds at most 400 KB. A larger value (up to
// WithMaxValueSize, DefaultMaxValueSize by default) is cut into chunks of
// 350 KB stored as items of their own (partition key 0x02, a random
// generation and the chunk's index); they are written before the entry's
// head item, which then points at them, so readers see the old value or
// the new one, never a part. Replacing or deleting a chunked value
// deletes its chunks. Larger values fail with kv.ErrTooLarge and nothing
// is written.
//
// # Conditional writes
//
// The Store is a kv.ConditionalWriter, atomic across clients and
// processes: each write is one PutItem or DeleteItem with a
// ConditionExpression on the entry's head item. SetIfAbsent requires the
// item to be absent or expired. CompareAndSwap and CompareAndDelete with
// an old value that fits in one item are the write alone, the comparison
// in its condition ("v = :old", and live). With a larger old value they
// read the head first: the chunked value is read and compared whole in
// the process, and the write is then conditional on the head's chunk
// generation, random for every write, so it holds only while the value
// compared is still the one stored; a concurrent write that fails the
// condition makes them read and compare again. New chunked values follow
// the chunk protocol above, so
// readers never see a torn value. One caveat DynamoDB shares with any
// conditional write: when the SDK retries a request whose reply was lost,
// a write that happened can be reported as a failed condition (false).
// A comparison with an inline old value costs what Set costs (one
// request); with a chunked one, a GetItem more, and the chunks'
// BatchGetItem when the stored value has the old value's size.
//
// # Costs
//
// Get, Set, Delete and Has are one request each (a chunked value adds a
// BatchGetItem, or BatchWriteItem calls, per 16 MB). GetMany uses
// BatchGetItem (100 keys a call), SetMany and DeleteMany BatchWriteItem (25
// items a call), with one BatchGetItem projection first to find chunked
// values; items DynamoDB leaves unprocessed are retried with exponential
// backoff that honours the context. Len, Keys, All and Clear scan the
// whole table: they cost what reading it costs.
//
// The store is a kv.PrefixScanner and a kv.KeyScanner, but partition keys
// are hashed by DynamoDB, so no request reads only a prefix: Scan and
// ScanKeys are still a Scan of the whole table, filtered on the server
// with begins_with (on the partition key for inline keys, on "ok" for
// hashed ones; chunk items never match). Every item is read and counts
// against read capacity, as for Keys; what the filter saves is what is
// sent: only the matching items, ScanKeys without their values, and Scan
// reads the chunks of matching large values only, where a filter of All
// in the process would read every one.
package dynamodb
