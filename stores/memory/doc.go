// Package memory is the in-memory backend of kv: a generic
// kv.Store[K, V] that keeps values as they are, with no encoding.
//
// It suits tests, single-process caches and the default store of
// httpcache. Entries may carry a TTL: an expired entry is invisible from
// the instant it expires, and a janitor goroutine frees it later (Close
// stops the janitor). WithMaxEntries bounds the store, evicting the least
// recently used entry first.
//
// The store implements kv.BatchGetter, kv.BatchSetter and kv.BatchDeleter,
// each under one lock.
//
// Nothing is persisted: Close drops every entry.
package memory
