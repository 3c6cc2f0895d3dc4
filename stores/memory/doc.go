// Package memory is the in-memory backend of kv: a generic
// kv.Store[K, V] that keeps values as they are, with no encoding.
//
// It suits tests, single-process caches and the default store of
// httpcache. Entries may carry a TTL: an expired entry is invisible from
// the instant it expires, and a janitor goroutine frees it later (Close
// stops the janitor). WithMaxEntries bounds the store, evicting the least
// recently used entry first. LRU is measured, not chosen for its hit
// ratio: on the fixed-seed traces of bench (BenchmarkHitRatio, Zipf 0.8 and
// 1.1 and a scan, at 1 % and 10 % of the key space) it hits 1.5 to 10
// points less often than the W-TinyLFU of github.com/maypok86/otter/v2,
// the best on every trace; bench/RESULTS.md has the table.
//
// The store implements kv.BatchGetter, kv.BatchSetter and kv.BatchDeleter,
// each under one lock.
//
// Nothing is persisted: Close drops every entry.
package memory
