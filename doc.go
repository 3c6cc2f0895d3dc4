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
// # Implementing a Store
//
// A store of your own implements [Store], and the capabilities it can do
// natively, and passes conformance.Run. A few names of this package are
// there for implementers rather than for users of a store:
//
//   - [NewSetOptions] resolves the options of a Set at a given time into
//     [SetOptions]: ExpiresAt is what to keep, and a negative TTL gives
//     an error wrapping [ErrInvalidTTL].
//   - [Expired] is the one expiry rule. Apply it on every read, even where
//     the server expires entries itself (it may do so late), so that an
//     expired entry is never returned, counted or yielded.
//   - [ErrorSeq] is what Keys and All return when they cannot start, for
//     example after Close.
//   - The error values say what happened; wrap them with %w, naming the
//     backend, the operation and the key (kv/mydb: get "k": ...): Get of
//     an absent or expired key wraps [ErrNotFound], every call after
//     Close [ErrClosed], undecodable bytes [ErrCorrupt], a key or value
//     the backend cannot hold [ErrTooLarge].
//
// The built-in backends share one more layer, internal/storekit: a
// closed/ctx prologue, the error format with one key-quoting rule, expiry
// on read through an injectable clock, and the URL helpers behind each
// backend's OpenURL. It is internal so that it can change; each of its
// parts is a few lines to write again.
//
// The conformance package holds the suite every store passes; run it on a
// store of your own with one call.
package kv
