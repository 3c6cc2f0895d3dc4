// Package redis is the Redis backend of kv: a kv.Store[string, []byte]
// over Redis 7 (standalone, Sentinel or cluster) through
// github.com/redis/rueidis.
//
// # Opening
//
// Open(ctx, clientOptions, name) connects with rueidis.NewClient and owns
// the client: Close closes it. New(client, name) builds a store on a
// rueidis.Client the caller already has; Close then leaves the client
// open, and the caller closes it after its last store. That is also the
// answer to reusing a connection across stores and sessions: make one
// client when the program starts, build as many stores on it as needed
// (say the responses and the redirects of an HTTP cache, under two
// names), and close it when the program ends. rueidis pipelines the
// commands of every goroutine over its few connections, so one client is
// all a program needs.
//
// # Connecting to a production server
//
// Every connection setting is a field of rueidis.ClientOption:
//
//   - InitAddress lists one or more "host:port"; rueidis finds out by
//     itself whether they are a standalone server or cluster nodes (and
//     then discovers the rest of the cluster).
//   - Username and Password authenticate (Redis 6 ACL users, or the
//     password alone for requirepass); AuthCredentialsFn supplies
//     credentials that rotate.
//   - TLSConfig (a *tls.Config) turns TLS on.
//   - Sentinel (a rueidis.SentinelOption with MasterSet) makes InitAddress
//     the sentinels, and the client follows failovers of the master.
//   - SelectDB picks a database other than 0 (standalone only).
//
// rueidis.ParseURL turns a redis://, rediss:// (TLS) or redis-sentinel://
// URL, with user, password and database in it, into a ClientOption.
//
// # Layout
//
// The store named name keeps the value of key in the Redis string
// "name:" + key. Keys and values are arbitrary bytes (Redis strings are
// binary safe); values are limited to 512 MiB, Redis's own limit, or less
// with WithMaxValueSize. Several stores, and other programs, may share a
// database: each store reads, counts, lists and clears only the keys under
// its own prefix. A store's name must not be another's name followed by
// ':' and more (see New). On a cluster, the slot of a key is that of
// "name:" + key, so the entries of a store spread over every master,
// unless the name holds a {hash tag}, which puts them all in one slot.
//
// # Expiry
//
// A TTL becomes the key's own Redis expiry (SET ... PX, in milliseconds,
// rounded up), so the server enforces it exactly and removes expired
// entries itself; an expiry in the past deletes the key. All and Scan
// report each entry's ExpiresAt from PTTL, read in the same round trip as
// the values.
//
// # Iteration, Len and Clear
//
// Keys, All, Scan, Len and Clear walk the keyspace with SCAN MATCH
// "name:*" (name escaped for Redis's glob syntax) and never use KEYS or
// DBSIZE. On a cluster they SCAN every master the client knows (asking
// each node its ROLE), one after the other. Keys that SCAN returns twice
// are yielded once, at the cost of remembering the keys already passed
// on; keys written or deleted during a walk may or may not be seen. SCAN
// cursors hold nothing on the server, so breaking out of a loop releases
// nothing. A walk costs a pass over the whole database, other stores'
// keys included: Len is not O(1) here. All and Scan read the values of
// each SCAN reply with pipelined GET and PTTL, 100 keys per round trip, so
// that no more than 100 values are held at once; Clear deletes each
// reply's keys with UNLINK.
//
// # Capabilities
//
// The store implements kv.BatchGetter (MGET, one per hash slot on a
// cluster), kv.BatchSetter (pipelined SETs), kv.BatchDeleter (UNLINK, one
// per key, pipelined, on a cluster), kv.PrefixScanner (SCAN MATCH
// "name:prefix*") and kv.KeyScanner (the same SCAN MATCH without GET or
// PTTL, so a kv.Prefixed namespace lists and counts keys reading no value).
//
// # Client-side caching
//
// WithClientSideCache makes Get and GetMany read through rueidis's
// client-side cache, kept coherent by Redis's invalidation messages
// (RESP3 CLIENT TRACKING): repeated reads of a hot key cost no round
// trip. The price is a window after every write, this store's own
// included, in which a read may return the old value, while the
// invalidation is on its way: measured on loopback, a read right after
// another client's write was stale in 20% of rounds, for 119 µs at the
// median and 18 ms at the 99th percentile; see the option. kv.Tiered is
// the other way to keep hot keys near, with a staleness bounded by its
// near TTL instead.
package redis
