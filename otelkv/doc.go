// Package otelkv records metrics and traces of any kv store with
// OpenTelemetry.
//
// [Wrap] returns a store that does what the wrapped one does and, for each
// call, starts a client span and records its duration, the kind of its
// error and the bytes of the values it moved:
//
//	s := otelkv.Wrap(store, otelkv.WithBackendName("redis"))
//
// The package uses the OpenTelemetry API only. Without options it reports
// to the global providers (otel.GetMeterProvider, otel.GetTracerProvider),
// which record nothing until the application installs an SDK; choosing
// the SDK, its exporters and its sampling is the application's business.
//
// # What is recorded
//
// Every span and measurement carries db.system.name (the backend, see
// [WithBackendName]), db.operation.name (get, set, delete, has, len,
// clear, keys, all, get_many, set_many, delete_many, scan, scan_keys,
// set_if_absent, compare_and_swap, compare_and_delete) and the
// attributes of [WithAttributes]. Keys and values are never recorded.
//
//   - db.client.operation.duration (histogram, seconds): one observation
//     per call; its count is the number of calls. A failed call has
//     error.type: canceled, deadline_exceeded, closed, corrupt, too_large,
//     invalid_ttl (the errors of package kv and of the context), or _OTHER.
//     A Get has kv.result "hit" or "miss": kv.ErrNotFound is a miss, not
//     an error.
//   - kv.client.bytes.read and kv.client.bytes.written (counters, bytes):
//     the sizes of the values read (Get, GetMany, All, Scan) and written
//     (Set, SetMany, and SetIfAbsent and CompareAndSwap when they wrote).
//     Values of type []byte and string are measured by
//     their length; [WithValueSize] measures others.
//   - db.client.response.returned_rows (histogram, entries): how many
//     entries one loop over Keys, All, Scan or ScanKeys, or one GetMany,
//     returned.
//
// The spans are named after the operation, of kind client, with the same
// attributes, plus db.operation.batch.size on the batch operations and
// db.response.returned_rows where entries are returned; a failed call's
// span records the error and has status Error. A loop over Keys, All or
// Scan or ScanKeys is one operation: its span starts with the loop and ends when the
// loop does, however it ends.
//
// # Capabilities and ownership
//
// The wrapper has exactly the optional capabilities of the store it wraps
// (kv.BatchGetter, kv.BatchSetter, kv.BatchDeleter, kv.PrefixScanner,
// kv.KeyScanner, kv.ConditionalWriter), so kv.GetMany, kv.Scan and
// kv.ScanKeys take the same path through it as without it, and a
// conditional write is the wrapped store's own atomic one. Each set of
// capabilities is its own type, generated (go generate) from the list in
// the module's internal/capgen, which writes package kv's too: six capabilities make 64 types, too many to write by
// hand and keep exact.
//
// Close only what you opened: Wrap does not take the store it is given.
// Closing the wrapper makes its own methods fail with kv.ErrClosed and
// leaves the wrapped store open for its owner to close.
//
// # Cost
//
// The attribute sets, and the attributes a span gets when it ends, are
// built once by Wrap, so a call allocates nothing of its own. With the
// API's no-op providers (trace/noop and metric/noop) the wrapper sees it
// at Wrap and calls the wrapped store straight away. With a no-op tracer
// and a real meter, no span is started; the clock is read only when the
// duration histogram is enabled, and values are measured only when their
// byte counter is: a Get or a Set records one duration and, when it moved
// bytes, one counter addition. An application that wants only the
// duration drops the byte counters with a View
// (sdkmetric.AggregationDrop on kv.client.bytes.*). The global providers
// before an SDK is installed cost a few allocations per call (the API's
// non-recording span and its context): pass the no-op providers to a
// store that must cost nothing. With an SDK, each recorded measurement
// and each sampled span costs what the SDK makes it cost: more than a
// memory store's Get, so over a memory store the SDK multiplies the cost
// of a call, and over a store that does I/O it is a small part of it
// (bench/RESULTS.md, BenchmarkOtelFloor and BenchmarkOtelKV).
package otelkv
