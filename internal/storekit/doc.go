// Package storekit is the layer every backend under stores/ is built on:
// the part of a store that is the same whatever it talks to.
//
//   - [Lifecycle] and [Gate] hold the closed state and give each call its
//     prologue: [Lifecycle.Begin] fails with kv.ErrClosed after Close and
//     with the context's error when ctx is done. A Gate also lets Close
//     wait for the calls under way.
//   - [Backend] wraps errors with one format, naming the backend, the
//     operation and the key: kv/redis: get "k": <cause>. Keys are quoted
//     by one rule, [Quote], which also shortens a long key.
//   - [Clock] decides expiry on read ([Clock.Expired]) and resolves Set
//     options ([Clock.SetOptions]) against one time source, so a store
//     whose tests inject a clock reads it everywhere.
//   - The URL helpers ([Invalid], [Params], [Path], [IntParam],
//     [BoolParam], [Redact]) let each backend parse its own URL grammar in
//     its OpenURL, with every unusable URL reported as an error wrapping
//     [ErrInvalidURL] (stores.ErrInvalidURL is the same value).
//
// It is internal on purpose. What a custom store needs in order to behave
// like the built-in ones is in package kv and exported there
// (kv.NewSetOptions, kv.Expired, kv.ErrorSeq, the error values) and is
// checked by the conformance suite; what is here is the built-in stores'
// own convention (message format, lock discipline), a dozen lines each,
// that an outside implementer may copy or not. Keeping it internal leaves
// it free to change as the layer grows (conditional writes are next);
// exporting it later breaks nobody.
package storekit
