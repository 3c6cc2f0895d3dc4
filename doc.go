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
// # Composing stores
//
// Some stores of this package wrap another store and are stores
// themselves, so they stack: [Typed] (codecs), [Prefixed] (a namespace in
// a shared store), [Tiered] (a bounded near store in front of a far one),
// [Loader] (get-or-load with one load per key at a time) and
// [EncryptStore] (values sealed at rest). Each passes the conformance
// suite.
//
// # Capabilities
//
// A backend that can do a batch of work in one round trip implements
// [BatchGetter], [BatchSetter], [BatchDeleter], [PrefixScanner] or
// [KeyScanner]. Call the helpers [GetMany], [SetMany], [DeleteMany], [Scan]
// and [ScanKeys]: they use the capability when the store has it and fall
// back to the plain methods otherwise, so code written against them works
// on every store.
//
// A wrapper of this package ([Typed], [EncryptStore], [Prefixed]) offers
// exactly the capabilities of the store it wraps, so a type assertion on
// it tells the truth and a helper called on it takes the wrapped store's
// fast path. Since a Go type cannot drop methods, each constructor picks,
// once, one of a few small types with just the methods the wrapped store
// has; the capabilities of a store do not change after it is made.
//
// # Ownership
//
// One rule, for every constructor of this module: close only what you
// opened. A store a constructor opens itself (from a path, a URL, client
// options) is closed by the store's Close. A store, client or database
// handle the caller passes in is borrowed: closing the wrapper or store
// built on it does not close it, and the caller closes it after
// everything built on it is closed. So [Typed], [EncryptStore],
// [Prefixed], [Tiered] and [Loader] close nothing but themselves: after
// Close they report [ErrClosed], and the store under them is as it was,
// still open for other wrappers over it.
//
//	raw, err := sqlite.Open(path) // opened here: closed here
//	if err != nil {
//		return err
//	}
//	defer raw.Close()
//	users := kv.Typed(raw, kv.StringKeys(), kv.CBOR[User]())
//	defer users.Close() // marks users closed; raw stays open
//
// This is the io.Reader rule (bufio.NewReader and gzip.NewReader do not
// close what they read), and it lets several wrappers share one store:
// the namespaces of one database, a typed view and a raw one.
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
//     the backend cannot hold [ErrTooLarge], a write to a store opened
//     read-only [ErrReadOnly].
//
// The built-in backends share one more layer, internal/storekit: a
// closed/read-only/ctx prologue, the error format with one key-quoting rule, expiry
// on read through an injectable clock, and the URL helpers behind each
// backend's OpenURL. It is internal so that it can change; each of its
// parts is a few lines to write again.
//
// The conformance package holds the suite every store passes; run it on a
// store of your own with one call.
package kv
