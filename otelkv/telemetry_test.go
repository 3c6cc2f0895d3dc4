package otelkv_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/otelkv"
	"github.com/kvkit/kv/stores/file"
	"github.com/kvkit/kv/stores/memory"
	"github.com/kvkit/kv/stores/sqlite"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// recorder is an SDK meter and tracer provider whose output a test reads.
type recorder struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	opts   []otelkv.Option
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	t.Cleanup(func() {
		mp.Shutdown(context.Background())
		tp.Shutdown(context.Background())
	})
	r.opts = []otelkv.Option{otelkv.WithMeterProvider(mp), otelkv.WithTracerProvider(tp)}
	return r
}

// label describes an attribute set in a few words: the operation, then the
// other attributes but the backend, e.g. "get kv.result=miss".
func label(set attribute.Set) string {
	op, _ := set.Value("db.operation.name")
	words := []string{op.AsString()}
	for _, kv := range set.ToSlice() {
		switch kv.Key {
		case "db.operation.name", "db.system.name":
		default:
			words = append(words, fmt.Sprintf("%s=%s", kv.Key, kv.Value.Emit()))
		}
	}
	return strings.Join(words, " ")
}

// metrics collects what was recorded: for each instrument, a total by
// label (a histogram's count for the duration, its sum for the others; a
// counter's value), and the backends seen.
type metrics struct {
	calls, rows, read, written map[string]int64
	backends                   map[string]bool
}

func (r *recorder) collect(t *testing.T) metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	m := metrics{calls: map[string]int64{}, rows: map[string]int64{}, read: map[string]int64{},
		written: map[string]int64{}, backends: map[string]bool{}}
	for _, sm := range rm.ScopeMetrics {
		for _, in := range sm.Metrics {
			switch d := in.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					m.calls[label(p.Attributes)] += int64(p.Count)
					b, _ := p.Attributes.Value("db.system.name")
					m.backends[b.AsString()] = true
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					m.rows[label(p.Attributes)] += p.Sum
				}
			case metricdata.Sum[int64]:
				to := map[string]map[string]int64{"kv.client.bytes.read": m.read, "kv.client.bytes.written": m.written}[in.Name]
				for _, p := range d.DataPoints {
					to[label(p.Attributes)] += p.Value
				}
			}
		}
	}
	return m
}

// span is what a test checks of a span.
type span struct {
	Name   string
	Kind   trace.SpanKind
	Attrs  map[string]string
	Status codes.Code
	Events int
}

func (r *recorder) ended() []span {
	var out []span
	for _, s := range r.spans.Ended() {
		attrs := map[string]string{}
		for _, a := range s.Attributes() {
			attrs[string(a.Key)] = a.Value.Emit()
		}
		out = append(out, span{s.Name(), s.SpanKind(), attrs, s.Status().Code, len(s.Events())})
	}
	return out
}

func TestRecordsEachCall(t *testing.T) {
	ctx := t.Context()
	r := newRecorder(t)
	raw := memory.New[string, []byte]()
	defer raw.Close()
	s := otelkv.Wrap[string, []byte](raw, r.opts...)
	defer s.Close()

	for _, err := range []error{
		s.Set(ctx, "a", []byte("hello")),
		s.Set(ctx, "b", []byte("hi")),
		second(s.Get(ctx, "a")),
		second(s.Get(ctx, "absent")),
		second(s.Has(ctx, "a")),
		s.Delete(ctx, "b"),
		second(s.Len(ctx)),
	} {
		if err != nil && !errors.Is(err, kv.ErrNotFound) {
			t.Fatal(err)
		}
	}

	m := r.collect(t)
	// The miss is a miss: no error.type anywhere.
	wantCalls := map[string]int64{
		"set": 2, "get kv.result=hit": 1, "get kv.result=miss": 1, "has": 1, "delete": 1, "len": 1,
	}
	if diff := cmp.Diff(wantCalls, m.calls); diff != "" {
		t.Errorf("calls by operation (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int64{"set": 7}, m.written); diff != "" {
		t.Errorf("bytes written (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int64{"get": 5}, m.read); diff != "" {
		t.Errorf("bytes read (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{"memory": true}, m.backends); diff != "" {
		t.Errorf("db.system.name (-want +got):\n%s", diff)
	}

	attrs := func(op string, more ...string) map[string]string {
		a := map[string]string{"db.system.name": "memory", "db.operation.name": op}
		for i := 0; i < len(more); i += 2 {
			a[more[i]] = more[i+1]
		}
		return a
	}
	want := []span{
		{"set", trace.SpanKindClient, attrs("set"), codes.Unset, 0},
		{"set", trace.SpanKindClient, attrs("set"), codes.Unset, 0},
		{"get", trace.SpanKindClient, attrs("get", "kv.result", "hit"), codes.Unset, 0},
		{"get", trace.SpanKindClient, attrs("get", "kv.result", "miss"), codes.Unset, 0},
		{"has", trace.SpanKindClient, attrs("has"), codes.Unset, 0},
		{"delete", trace.SpanKindClient, attrs("delete"), codes.Unset, 0},
		{"len", trace.SpanKindClient, attrs("len"), codes.Unset, 0},
	}
	if diff := cmp.Diff(want, r.ended()); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
}

// TestDurations checks that the duration histogram observes how long the
// wrapped store took.
func TestDurations(t *testing.T) {
	r := newRecorder(t)
	inner := slowStore{Store: memory.New[string, []byte](), delay: 20 * time.Millisecond}
	defer inner.Close()
	s := otelkv.Wrap[string, []byte](inner, r.opts...)
	if _, err := s.Get(t.Context(), "k"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get: %v", err)
	}
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	var got []metricdata.HistogramDataPoint[float64]
	for _, in := range rm.ScopeMetrics[0].Metrics {
		if in.Name == "db.client.operation.duration" {
			got = in.Data.(metricdata.Histogram[float64]).DataPoints
			if in.Unit != "s" {
				t.Errorf("unit %q, want s", in.Unit)
			}
		}
	}
	if len(got) != 1 || got[0].Count != 1 {
		t.Fatalf("duration points %+v, want one point of one observation", got)
	}
	if d := got[0].Sum; d < 0.020 || d > 5 {
		t.Errorf("observed %gs for a Get that took at least 20ms", d)
	}
	// The observation is in the bucket whose bounds hold it.
	p := got[0]
	i := slices.IndexFunc(p.BucketCounts, func(n uint64) bool { return n == 1 })
	if i < 1 || p.Bounds[i-1] > p.Sum || (i < len(p.Bounds) && p.Bounds[i] < p.Sum) {
		t.Errorf("observation %g in bucket %d of %v", p.Sum, i, p.Bounds)
	}
}

// slowStore takes delay over each Get.
type slowStore struct {
	kv.Store[string, []byte]
	delay time.Duration
}

func (s slowStore) Get(ctx context.Context, key string) ([]byte, error) {
	time.Sleep(s.delay)
	return s.Store.Get(ctx, key)
}

// failingStore is a store whose Get fails with err, to see how the
// wrapper classifies an error of no kind it knows.
type failingStore struct {
	kv.Store[string, []byte]
	err error
}

func (s failingStore) Get(context.Context, string) ([]byte, error) { return nil, s.err }

func TestErrorKinds(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	cases := []struct {
		kind string
		call func(t *testing.T, wrap func(byteStore) byteStore) error
	}{
		{"canceled", func(t *testing.T, wrap func(byteStore) byteStore) error {
			return second(wrap(newMem(t)).Get(cancelled, "k"))
		}},
		{"deadline_exceeded", func(t *testing.T, wrap func(byteStore) byteStore) error {
			return second(wrap(newMem(t)).Get(expired, "k"))
		}},
		{"closed", func(t *testing.T, wrap func(byteStore) byteStore) error {
			inner := newMem(t)
			inner.Close() // by its owner: the wrapper passes the error on
			return second(wrap(inner).Get(t.Context(), "k"))
		}},
		{"closed", func(t *testing.T, wrap func(byteStore) byteStore) error {
			s := wrap(newMem(t))
			s.Close()
			return second(s.Get(t.Context(), "k"))
		}},
		{"corrupt", func(t *testing.T, wrap func(byteStore) byteStore) error {
			raw := newMem(t)
			if err := raw.Set(t.Context(), "k", []byte{0xff, 0xfe}); err != nil {
				t.Fatal(err)
			}
			typed := kv.Typed(raw, kv.StringKeys(), kv.CBOR[[]byte]())
			return second(wrap(typed).Get(t.Context(), "k"))
		}},
		{"too_large", func(t *testing.T, wrap func(byteStore) byteStore) error {
			fs, err := file.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { fs.Close() })
			return wrap(fs).Set(t.Context(), strings.Repeat("k", file.MaxKeySize+1), []byte("v"))
		}},
		{"invalid_ttl", func(t *testing.T, wrap func(byteStore) byteStore) error {
			return wrap(newMem(t)).Set(t.Context(), "k", []byte("v"), kv.WithTTL(-time.Second))
		}},
		{"_OTHER", func(t *testing.T, wrap func(byteStore) byteStore) error {
			return second(wrap(failingStore{newMem(t), errors.New("disk on fire")}).Get(t.Context(), "k"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			r := newRecorder(t)
			err := tc.call(t, func(s byteStore) byteStore { return otelkv.Wrap(s, r.opts...) })
			if err == nil {
				t.Fatal("the call did not fail")
			}
			m := r.collect(t)
			var failed []string
			for l := range m.calls {
				if strings.Contains(l, "error.type=") {
					failed = append(failed, l)
				}
			}
			if len(failed) != 1 || !strings.HasSuffix(failed[0], " error.type="+tc.kind) || m.calls[failed[0]] != 1 {
				t.Errorf("after %v, calls %v; want one with error.type=%s", err, m.calls, tc.kind)
			}
			spans := r.ended()
			last := spans[len(spans)-1]
			if last.Status != codes.Error || last.Attrs["error.type"] != tc.kind || last.Events != 1 {
				t.Errorf("span %+v; want status Error, error.type %s and the error recorded", last, tc.kind)
			}
		})
	}
}

func newMem(t *testing.T) byteStore {
	s := memory.New[string, []byte]()
	t.Cleanup(func() { s.Close() })
	return s
}

// TestIterationAndBatches checks that a loop is one operation with its
// count, and that the batch operations and Scan reach the wrapped store's
// own (one span each, not one per key).
func TestIterationAndBatches(t *testing.T) {
	ctx := t.Context()
	r := newRecorder(t)
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := otelkv.Wrap[string, []byte](db, r.opts...)
	defer s.Close()

	entries := []kv.Entry[string, []byte]{
		{Key: "p/1", Value: []byte("one")}, {Key: "p/2", Value: []byte("two")}, {Key: "p/3", Value: []byte("333")},
		{Key: "q/1", Value: []byte("abc")}, {Key: "q/2", Value: []byte("xyz")},
	}
	if err := kv.SetMany(ctx, s, entries); err != nil {
		t.Fatal(err)
	}
	if n := len(drain(t, s.Keys(ctx))); n != 5 {
		t.Fatalf("Keys yielded %d keys, want 5", n)
	}
	n := 0
	for _, err := range s.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2 {
			break
		}
	}
	if n := len(drain(t, kv.Scan(ctx, s, "p/"))); n != 3 {
		t.Fatalf("Scan yielded %d entries, want 3", n)
	}
	found, err := kv.GetMany(ctx, s, []string{"p/1", "q/2", "absent"})
	if err != nil || len(found) != 2 {
		t.Fatalf("GetMany: %d found, %v; want 2", len(found), err)
	}
	if err := kv.DeleteMany(ctx, s, []string{"p/1", "p/2"}); err != nil {
		t.Fatal(err)
	}

	m := r.collect(t)
	wantCalls := map[string]int64{"set_many": 1, "keys": 1, "all": 1, "scan": 1, "get_many": 1, "delete_many": 1}
	if diff := cmp.Diff(wantCalls, m.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int64{"keys": 5, "all": 2, "scan": 3, "get_many": 2}, m.rows); diff != "" {
		t.Errorf("entries returned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int64{"set_many": 15}, m.written); diff != "" {
		t.Errorf("bytes written (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int64{"all": 6, "scan": 9, "get_many": 6}, m.read); diff != "" {
		t.Errorf("bytes read (-want +got):\n%s", diff)
	}
	got := map[string]map[string]string{}
	for _, sp := range r.ended() {
		delete(sp.Attrs, "db.system.name")
		delete(sp.Attrs, "db.operation.name")
		got[sp.Name] = sp.Attrs
	}
	want := map[string]map[string]string{
		"set_many":    {"db.operation.batch.size": "5"},
		"keys":        {"db.response.returned_rows": "5"},
		"all":         {"db.response.returned_rows": "2"},
		"scan":        {"db.response.returned_rows": "3"},
		"get_many":    {"db.operation.batch.size": "3", "db.response.returned_rows": "2"},
		"delete_many": {"db.operation.batch.size": "2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("span attributes beyond system and operation (-want +got):\n%s", diff)
	}
}

// TestCloseLeavesWrappedOpen checks the ownership rule: the wrapper's
// Close ends the wrapper, not the store it was given.
func TestCloseLeavesWrappedOpen(t *testing.T) {
	ctx := t.Context()
	inner := newMem(t)
	s := otelkv.Wrap(inner)
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Get through the closed wrapper: %v, want kv.ErrClosed", err)
	}
	if v, err := inner.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Errorf("the wrapped store after the wrapper's Close: Get = %q, %v; want it open with \"v\"", v, err)
	}
}

// TestOptions checks the backend name (from the store's package, or
// WithBackendName), WithAttributes and WithValueSize.
func TestOptions(t *testing.T) {
	ctx := t.Context()
	type record struct{ Body string }
	r := newRecorder(t)
	inner := memory.New[string, record]()
	defer inner.Close()
	s := otelkv.Wrap[string, record](inner, append(r.opts,
		otelkv.WithBackendName("cache"),
		otelkv.WithAttributes(attribute.String("db.namespace", "sessions")),
		otelkv.WithValueSize(func(v record) int { return len(v.Body) }))...)
	if err := s.Set(ctx, "k", record{"twelve bytes"}); err != nil {
		t.Fatal(err)
	}
	m := r.collect(t)
	if diff := cmp.Diff(map[string]int64{"set db.namespace=sessions": 12}, m.written); diff != "" {
		t.Errorf("bytes written (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{"cache": true}, m.backends); diff != "" {
		t.Errorf("db.system.name (-want +got):\n%s", diff)
	}

	for name, inner := range map[string]byteStore{"memory": newMem(t), "otelkv_test": plainStore{newMem(t)}} {
		r := newRecorder(t)
		if err := otelkv.Wrap(inner, r.opts...).Set(ctx, "k", nil); err != nil {
			t.Fatal(err)
		}
		if got := r.ended()[0].Attrs["db.system.name"]; got != name {
			t.Errorf("default db.system.name of a %T is %q, want %q", inner, got, name)
		}
	}

	defer func() {
		if recover() == nil {
			t.Error("WithValueSize of a func(string) int on a store of []byte values did not panic")
		}
	}()
	otelkv.Wrap(newMem(t), otelkv.WithValueSize(func(string) int { return 0 }))
}

// TestNoopProvidersAllocateNothing checks that with no-op providers a call
// through the wrapper allocates no more than the call to the wrapped store
// (the package doc says so).
func TestNoopProvidersAllocateNothing(t *testing.T) {
	ctx := t.Context()
	inner := newMem(t)
	s := otelkv.Wrap(inner, otelkv.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelkv.WithTracerProvider(tracenoop.NewTracerProvider()))
	value := []byte("value")
	if err := inner.Set(ctx, "k", value); err != nil {
		t.Fatal(err)
	}
	calls := map[string][2]func(){
		"Get": {func() { inner.Get(ctx, "k") }, func() { s.Get(ctx, "k") }},
		"Set": {func() { inner.Set(ctx, "k", value) }, func() { s.Set(ctx, "k", value) }},
		"Has": {func() { inner.Has(ctx, "k") }, func() { s.Has(ctx, "k") }},
	}
	for name, f := range calls {
		bare, wrapped := testing.AllocsPerRun(100, f[0]), testing.AllocsPerRun(100, f[1])
		if wrapped > bare {
			t.Errorf("%s allocates %v times through the wrapper, %v times without", name, wrapped, bare)
		}
	}
}

// second returns the error of a two-valued call.
func second[T any](_ T, err error) error { return err }

// TestKeyScansAndConditionalWrites checks that ScanKeys and the
// conditional writes reach the wrapped store and are recorded: a call
// each, the keys ScanKeys yielded, the bytes the successful writes wrote,
// and a span each.
func TestKeyScansAndConditionalWrites(t *testing.T) {
	ctx := t.Context()
	r := newRecorder(t)
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := otelkv.Wrap(scanKeysConditional{conditionalOnly(db).(*atomicStore), db}, r.opts...)
	defer s.Close()
	cw := s.(kv.ConditionalWriter[string, []byte])

	for _, k := range []string{"p/1", "p/2", "q/1"} {
		if ok, err := cw.SetIfAbsent(ctx, k, []byte("abc")); !ok || err != nil {
			t.Fatalf("SetIfAbsent(%q) = %v, %v; want true", k, ok, err)
		}
	}
	if ok, err := cw.SetIfAbsent(ctx, "p/1", []byte("xyz")); ok || err != nil {
		t.Fatalf("SetIfAbsent of a present key = %v, %v; want false", ok, err)
	}
	if ok, err := cw.CompareAndSwap(ctx, "p/1", []byte("abc"), []byte("four")); !ok || err != nil {
		t.Fatalf("CompareAndSwap = %v, %v; want true", ok, err)
	}
	if ok, err := cw.CompareAndDelete(ctx, "p/2", []byte("nope")); ok || err != nil {
		t.Fatalf("CompareAndDelete of another value = %v, %v; want false", ok, err)
	}
	if ok, err := cw.CompareAndDelete(ctx, "q/1", []byte("abc")); !ok || err != nil {
		t.Fatalf("CompareAndDelete = %v, %v; want true", ok, err)
	}
	keys := drain(t, kv.ScanKeys(ctx, s, "p/"))
	if want := []string{"p/1", "p/2"}; !cmp.Equal(keys, want) {
		t.Fatalf("ScanKeys = %q, want %q", keys, want)
	}
	if v, err := s.Get(ctx, "p/1"); err != nil || string(v) != "four" {
		t.Fatalf("Get(p/1) = %q, %v; want the swapped value", v, err)
	}

	m := r.collect(t)
	wantCalls := map[string]int64{"set_if_absent": 4, "compare_and_swap": 1, "compare_and_delete": 2, "scan_keys": 1, "get kv.result=hit": 1}
	if diff := cmp.Diff(wantCalls, m.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int64{"set_if_absent": 9, "compare_and_swap": 4}, m.written); diff != "" {
		t.Errorf("bytes written (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int64{"scan_keys": 2}, m.rows); diff != "" {
		t.Errorf("keys returned (-want +got):\n%s", diff)
	}
	spans := map[string]int{}
	for _, sp := range r.ended() {
		spans[sp.Name]++
	}
	if diff := cmp.Diff(map[string]int{"set_if_absent": 4, "compare_and_swap": 1, "compare_and_delete": 2, "scan_keys": 1, "get": 1}, spans); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
}

// TestDroppedByteCountersMeasureNothing checks that when a View drops the
// byte counters, the wrapper measures no value (the size function is not
// called) and still records every call; with the counters kept, the same
// calls measure values.
func TestDroppedByteCountersMeasureNothing(t *testing.T) {
	drop := sdkmetric.NewView(sdkmetric.Instrument{Name: "kv.client.bytes.*"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}})
	for _, tc := range []struct {
		name     string
		views    []sdkmetric.View
		measured bool
	}{{"kept", nil, true}, {"dropped", []sdkmetric.View{drop}, false}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithView(tc.views...))
			defer mp.Shutdown(context.Background())
			sizes := 0
			s := otelkv.Wrap(newMem(t), otelkv.WithMeterProvider(mp),
				otelkv.WithTracerProvider(tracenoop.NewTracerProvider()),
				otelkv.WithValueSize(func(b []byte) int { sizes++; return len(b) }))
			defer s.Close()
			if err := s.Set(ctx, "k", []byte("abc")); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if err := kv.SetMany(ctx, s, []kv.Entry[string, []byte]{{Key: "m", Value: []byte("de")}}); err != nil {
				t.Fatal(err)
			}
			if _, err := kv.GetMany(ctx, s, []string{"k", "m"}); err != nil {
				t.Fatal(err)
			}
			drain(t, s.All(ctx))
			if ok, err := s.(kv.ConditionalWriter[string, []byte]).CompareAndSwap(ctx, "k", []byte("abc"), []byte("x")); !ok || err != nil {
				t.Fatalf("CompareAndSwap = %v, %v", ok, err)
			}
			if measured := sizes > 0; measured != tc.measured {
				t.Errorf("the size function ran %d times; want values measured: %v", sizes, tc.measured)
			}
			var rm metricdata.ResourceMetrics
			if err := reader.Collect(ctx, &rm); err != nil {
				t.Fatal(err)
			}
			calls := uint64(0)
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					if h, ok := m.Data.(metricdata.Histogram[float64]); ok {
						for _, p := range h.DataPoints {
							calls += p.Count
						}
					}
				}
			}
			if calls != 6 {
				t.Errorf("the duration histogram counts %d calls, want 6", calls)
			}
		})
	}
}
