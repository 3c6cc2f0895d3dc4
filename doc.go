// Package kv is a typed, pluggable key-value store.
//
// An application writes against [Store], a generic interface with
// context-aware methods, typed misses ([ErrNotFound]), per-entry expiry
// ([WithTTL]) and iteration with [iter.Seq2], and picks a backend at start-up:
// stores/memory for tests and caches, stores/file, stores/sqlite or
// stores/badger on one machine, stores/redis, stores/mongo or
// stores/dynamodb when it outgrows one. Changing backend changes one
// constructor call.
//
// Byte-level backends implement Store[string, []byte]; [Typed] lifts one to
// any key and value type through a [KeyCodec] and a [Codec] ([CBOR] is the
// default, [JSON], [Bytes] and [String] are the others). The memory store is
// generic and stores values as they are, with no encoding.
//
// # Capabilities
//
// A backend that can do a batch of work in one round trip implements
// [BatchGetter], [BatchSetter], [BatchDeleter] or [PrefixScanner]. Call the
// helpers [GetMany], [SetMany], [DeleteMany] and [Scan]: they use the
// capability when the store has it and fall back to the plain methods
// otherwise, so code written against them works on every store.
//
// # Why the shapes are what they are
//
//   - Iteration yields (value, error) pairs so that a failing cursor is
//     reported where it happens, not swallowed; [Collect] turns a sequence
//     into a slice when that is all a caller wants.
//   - [Entry] carries ExpiresAt so that copying a store to another keeps
//     each entry's remaining lifetime, and SetMany takes entries for the
//     same reason.
//   - Decoding failures are [ErrCorrupt] rather than a panic or a generic
//     error, so that a cache can treat a damaged entry as a miss.
//
// The conformance package holds the suite every store passes; run it on a
// store of your own with one call.
package kv
