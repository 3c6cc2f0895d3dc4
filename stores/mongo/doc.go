// Package mongo is the MongoDB backend of kv: a kv.Store[string, []byte]
// over one collection, through go.mongodb.org/mongo-driver/v2. The store's
// name is the database; WithCollection picks the collection (DefaultCollection,
// "kv", unless told), so several stores share one database with a
// collection each.
//
// # Making a store
//
// Open connects with a connection string and owns the client it makes:
//
//	s, err := mongo.Open(ctx, "mongodb+srv://user:pass@cluster0.example.net/?tls=true", "cache",
//		mongo.WithCollection("responses"))
//
// Credentials, TLS, the replica set, timeouts and pool sizes go in the URI
// or in driver options passed with WithClientOptions
// (options.Client().SetAuth, SetTLSConfig, SetTimeout, ...), applied after
// the URI. Close disconnects the client. A private CA and a client
// certificate (x509 authentication) are URI parameters too:
//
//	mongodb://db.internal:27017/?tls=true&tlsCAFile=/etc/kv/ca.pem&tlsCertificateKeyFile=/etc/kv/client.pem
//
// where the second file holds the certificate and its key.
//
// New takes a *mongo.Client the caller already has. That is the answer to
// "can several stores, or several sessions, reuse one connection": connect
// once and give the client to as many stores as you like (one per
// collection); Close of a store never disconnects it, and the client's
// pool serves them all concurrently.
//
// # What is stored
//
// Each entry is one document: _id (see below), the value in "v" (binary)
// and, for an entry with an expiry, "expiresAt" (a date, rounded up to the
// millisecond) and "xn" (Unix nanoseconds). New and Open create a TTL
// index on "expiresAt" (expireAfterSeconds 0) so that the server deletes
// expired documents, about once a minute; since that is late, every read
// also compares "xn" with the clock, so an expired entry is never returned,
// counted or listed. A server that cannot create the index (FerretDB 1.x)
// is logged and the store works on: expired documents are then only
// hidden until overwritten, deleted or cleared.
//
// Keys: an index key in MongoDB is limited in size, and BSON strings must
// be UTF-8. A key that is valid UTF-8, has no NUL byte and is at most
// MaxPlainKeySize bytes is its own _id (a string). Any other key, up to
// MaxKeySize bytes, has the binary SHA-256 hash of the key as _id, and the
// key itself in "k" (binary), checked on every read. A string _id never
// equals a binary one, so the scheme is injective.
//
// Values: a document holds at most 16 MiB, so values of up to
// MaxValueSize (15 MiB) are accepted and larger ones fail with
// kv.ErrTooLarge, with nothing written.
//
// # Operations
//
// Get and Has are a find by _id, Set a replace with upsert (run again when
// it loses a race with another upsert of the same new key), Delete a
// deleteOne. GetMany is a find with $in, SetMany one unordered bulk write
// of upserting replaces, DeleteMany a deleteMany with $in (1000 keys a
// command). Len is countDocuments with the expiry filter, Keys and All one
// cursor (closed when the loop ends or breaks), Clear a deleteMany of
// every document of the collection. All of them work on MongoDB 4.2 and
// later and on FerretDB.
//
// # Prefix scans
//
// The store is a kv.PrefixScanner and a kv.KeyScanner. Scan and ScanKeys
// are one find: the string _ids of the prefix's range (lo <= _id < hi;
// strings compare byte by byte under the simple collation, which a
// collection the store creates has: a collection made beforehand with
// another default collation would misplace keys), or any binary _id, since
// a hashed key's _id says nothing of the key; the keys found are compared
// with the prefix in the process. ScanKeys projects _id, "k" and "xn", so
// no value is sent. On MongoDB both parts of the filter are bounds on the
// _id index (not measured: the tests run against FerretDB); hashed keys
// (binary, with NUL, or longer than MaxPlainKeySize) are read on every
// scan, so a store made mostly of them gains little.
// FerretDB evaluates the filter document by document: there the scan reads
// the whole collection on the server, and sends only what matches.
//
// # No conditional writes
//
// The store is not a kv.ConditionalWriter, so kv.Update and kv.Lock refuse
// it with kv.ErrUnsupported, and it cannot be httpcache's lease store
// (httpcache.WithLeases reports kv.ErrUnsupported; a store that has the
// capability can hold the leases while this one holds the responses).
// On MongoDB the capability would be filtered single-document
// writes (insertOne for an absent key, updateOne or deleteOne on
// {_id, v: old, live}), which MongoDB applies atomically. The store is
// tested against FerretDB 1.x, which does not: its handler runs a
// filtered update, findAndModify or delete as a query for the matching
// documents followed by an UPDATE or DELETE by _id alone (the read
// transaction is closed before the write starts), so a write that lands
// in between is overwritten or deleted although it no longer matches.
// TestFilteredUpdateAtomicity shows it: eight writers incrementing a
// counter with such swaps see hundreds of swaps succeed and the counter
// end at a few dozen. FerretDB's one atomic conditional write is an
// insert failing on a duplicate _id, which is not enough with one
// document per key: replacing an expired entry (SetIfAbsent), a swap and
// a compare-and-delete all need a filtered write. A design on inserts
// alone (a new document per version of a value) would change what every
// other operation reads and writes, and is not done. The test fails once
// a FerretDB makes the filtered write atomic, and on a server other than
// FerretDB it checks that no swap is lost.
package mongo
