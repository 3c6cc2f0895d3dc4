package otelkv

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// scope is the instrumentation scope of the meter and tracer.
const scope = "github.com/kvkit/kv/otelkv"

// Names of the instruments. The first and the last are the semantic
// conventions' database client metrics; the byte counters are this
// package's own.
const (
	durationName = "db.client.operation.duration"
	readName     = "kv.client.bytes.read"
	writtenName  = "kv.client.bytes.written"
	rowsName     = "db.client.response.returned_rows"
)

// resultKey is the attribute that tells a Get that found its key from one
// that did not.
const resultKey = attribute.Key("kv.result")

// durationBuckets are the bounds of the duration histogram, in seconds:
// the semantic conventions' advice with three more below a millisecond,
// where memory and embedded stores answer.
var durationBuckets = []float64{0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}

// opID is an operation of the store.
type opID uint8

const (
	opGet opID = iota
	opSet
	opDelete
	opHas
	opLen
	opClear
	opKeys
	opAll
	opGetMany
	opSetMany
	opDeleteMany
	opScan
	opScanKeys
	opSetIfAbsent
	opCompareAndSwap
	opCompareAndDelete
	numOps
)

// opNames are the values of db.operation.name, and the span names.
var opNames = [numOps]string{
	opGet: "get", opSet: "set", opDelete: "delete", opHas: "has", opLen: "len", opClear: "clear",
	opKeys: "keys", opAll: "all", opGetMany: "get_many", opSetMany: "set_many",
	opDeleteMany: "delete_many", opScan: "scan", opScanKeys: "scan_keys",
	opSetIfAbsent: "set_if_absent", opCompareAndSwap: "compare_and_swap", opCompareAndDelete: "compare_and_delete",
}

// result is what a successful Get found.
type result uint8

const (
	resultNone result = iota
	resultHit
	resultMiss
)

// op is everything about one operation that does not change from call to
// call, built once by Wrap so that a call allocates nothing of its own.
type op struct {
	name      string
	closed    error // returned after Close
	spanStart []trace.SpanStartOption
	ok        []metric.RecordOption
	okAdd     []metric.AddOption
	hit, miss []metric.RecordOption
	failed    [numKinds][]metric.RecordOption // by kind; kindNone unused
}

// telemetry holds the instruments and the prepared operations of one
// wrapped store.
type telemetry struct {
	// active is false when both providers are the API's no-op ones: the
	// store then calls the wrapped store and records nothing.
	active   bool
	tracer   trace.Tracer // nil when it is the API's no-op tracer
	duration metric.Float64Histogram
	read     metric.Int64Counter
	written  metric.Int64Counter
	rows     metric.Int64Histogram
	ops      [numOps]op
}

var (
	hitAttr  = resultKey.String("hit")
	missAttr = resultKey.String("miss")

	// What a span gets when it ends, as slices built once: a variadic
	// argument built at the call would be allocated on every call.
	spanHit, spanMiss = []attribute.KeyValue{hitAttr}, []attribute.KeyValue{missAttr}
	spanFailed        = func() (by [numKinds][]attribute.KeyValue) { // kindNone unused
		for k := kindNone + 1; k < numKinds; k++ {
			by[k] = []attribute.KeyValue{semconv.ErrorTypeKey.String(k.String())}
		}
		return by
	}()
)

func newTelemetry(c config) *telemetry {
	t := &telemetry{tracer: c.tracers.Tracer(scope)}
	if _, ok := t.tracer.(noop.Tracer); ok {
		// A no-op tracer's spans do nothing a caller can observe, so the
		// store does not start them (each would allocate a context).
		t.tracer = nil
	}
	m := c.meters.Meter(scope)
	_, noMeter := m.(metricnoop.Meter)
	t.active = t.tracer != nil || !noMeter
	// The API returns a no-op instrument with the error, so a failure here
	// costs the metric and nothing else.
	t.duration, _ = m.Float64Histogram(durationName, metric.WithUnit("s"),
		metric.WithDescription("Duration of the operations of a kv store."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	t.read, _ = m.Int64Counter(readName, metric.WithUnit("By"),
		metric.WithDescription("Bytes of values read from a kv store."))
	t.written, _ = m.Int64Counter(writtenName, metric.WithUnit("By"),
		metric.WithDescription("Bytes of values written to a kv store."))
	t.rows, _ = m.Int64Histogram(rowsName, metric.WithUnit("{entry}"),
		metric.WithDescription("Entries returned by one iteration or batch get of a kv store."),
		metric.WithExplicitBucketBoundaries(1, 10, 100, 1000, 10000, 100000, 1000000))

	base := append([]attribute.KeyValue{semconv.DBSystemNameKey.String(c.backend)}, c.attrs...)
	for id := range numOps {
		t.ops[id] = newOp(opNames[id], base)
	}
	return t
}

func newOp(name string, base []attribute.KeyValue) op {
	attrs := append(append([]attribute.KeyValue(nil), base...), semconv.DBOperationNameKey.String(name))
	set := attribute.NewSet(attrs...)
	o := op{
		name:   name,
		closed: closedError(name),
		spanStart: []trace.SpanStartOption{
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attrs...),
		},
		ok:    []metric.RecordOption{metric.WithAttributeSet(set)},
		okAdd: []metric.AddOption{metric.WithAttributeSet(set)},
		hit:   recordWith(attrs, hitAttr),
		miss:  recordWith(attrs, missAttr),
	}
	for k := kindNone + 1; k < numKinds; k++ {
		o.failed[k] = recordWith(attrs, spanFailed[k][0])
	}
	return o
}

func recordWith(attrs []attribute.KeyValue, more attribute.KeyValue) []metric.RecordOption {
	all := append(append([]attribute.KeyValue(nil), attrs...), more)
	return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(all...))}
}

// epoch is the origin of the monotonic times of calls: a call keeps one
// integer rather than a time.Time.
var epoch = time.Now()

// untimed is the start of a call whose duration is not recorded.
const untimed time.Duration = -1

// call is one operation in progress. It lives on the caller's stack.
type call struct {
	t     *telemetry
	op    *op
	span  trace.Span    // nil when not tracing
	start time.Duration // since epoch; untimed when not recorded
}

// begin starts the span of operation id and returns the context to run it
// with.
func (t *telemetry) begin(ctx context.Context, id opID) (context.Context, call) {
	c := call{t: t, op: &t.ops[id], start: untimed}
	if t.tracer != nil {
		ctx, c.span = t.tracer.Start(ctx, c.op.name, c.op.spanStart...)
	}
	if t.duration.Enabled(ctx) {
		c.start = time.Since(epoch)
	}
	return ctx, c
}

// batch records the number of keys or entries of a batch operation.
func (c *call) batch(n int) {
	if c.span != nil {
		c.span.SetAttributes(semconv.DBOperationBatchSize(n))
	}
}

// bytes adds n to the read or written counter. Its callers measure
// values only when counter.Enabled (see store.measure).
func (c *call) bytes(ctx context.Context, counter metric.Int64Counter, n int) {
	if n > 0 {
		counter.Add(ctx, int64(n), c.op.okAdd...)
	}
}

// returned records the number of entries an iteration or a batch get
// returned.
func (c *call) returned(ctx context.Context, n int) {
	if c.span != nil {
		c.span.SetAttributes(semconv.DBResponseReturnedRows(n))
	}
	if c.t.rows.Enabled(ctx) {
		c.t.rows.Record(ctx, int64(n), c.op.ok...)
	}
}

// end records the outcome of the call and ends its span. err is what the
// operation returned; r what a successful Get found.
func (c *call) end(ctx context.Context, err error, r result) {
	k := errorKind(err)
	if c.span != nil {
		endSpan(c.span, err, k, r)
	}
	if c.start == untimed {
		return
	}
	opts := c.op.ok
	switch {
	case k != kindNone:
		opts = c.op.failed[k]
	case r == resultHit:
		opts = c.op.hit
	case r == resultMiss:
		opts = c.op.miss
	}
	c.t.duration.Record(ctx, (time.Since(epoch) - c.start).Seconds(), opts...)
}

// endSpan sets the outcome of the call on its span and ends it.
func endSpan(span trace.Span, err error, k kind, r result) {
	switch {
	case k != kindNone:
		span.SetAttributes(spanFailed[k]...)
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	case r == resultHit:
		span.SetAttributes(spanHit...)
	case r == resultMiss:
		span.SetAttributes(spanMiss...)
	}
	span.End()
}
