package bench

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/otelkv"
	"github.com/kvkit/kv/stores/memory"
	"github.com/kvkit/kv/stores/sqlite"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// BenchmarkOtelKV measures what otelkv.Wrap adds to a memory store's Get
// and Set of a Record (its Data measured for the byte counters):
// impl=bare is the store alone (the baseline); impl=noop is the wrapper
// with the no-op providers of the API (trace/noop, metric/noop);
// impl=global with the global providers before any SDK is installed;
// impl=sdk-metrics with the SDK's MeterProvider (a manual reader, never
// collected) and the no-op tracer; impl=sdk with that MeterProvider and the
// SDK's TracerProvider sampling every span into a processor that drops
// it. store=sqlite and store=redis repeat bare, noop, sdk-metrics and sdk
// over a typed SQLite store and a typed Redis store (skipped without
// KV_TEST_REDIS_ADDR).
func BenchmarkOtelKV(b *testing.B) {
	b.Run("store=memory", func(b *testing.B) {
		runStoreOps(b, otelImpls(newBenchMemory, "bare", "noop", "global", "sdk-metrics", "sdk"))
	})
	// The same over stores whose calls take microseconds (typed, CBOR).
	b.Run("store=sqlite", func(b *testing.B) {
		runStoreOps(b, otelImpls(newBenchSQLite, "bare", "noop", "sdk-metrics", "sdk"))
	})
	b.Run("store=redis", func(b *testing.B) {
		runStoreOps(b, otelImpls(newBenchRedis, "bare", "noop", "sdk-metrics", "sdk"))
	})
}

// BenchmarkOtelFloor measures what the SDK costs with no kv involved,
// beside a memory Get of a Record (impl=memory-get, the baseline, the
// store of BenchmarkOtelKV's store=memory): impl=record is one Record on
// an SDK Float64Histogram with a precomputed attribute set (the SDK set-up
// of impl=sdk-metrics: a manual reader, never collected, and otelkv's
// bucket bounds); impl=clock is the two readings of the monotonic clock
// that time one call; impl=timed-record is both, what recording one
// duration costs at least; impl=span is one span started and ended with the
// attributes otelkv gives a Get's span (the SDK set-up of impl=sdk: every
// span sampled, into a processor that drops it); impl=span+record is both,
// the Record in the span's context as otelkv records it. A wrapper that
// records a span or a histogram per call costs at least this on top of
// the store.
func BenchmarkOtelFloor(b *testing.B) {
	ctx := context.Background()
	attrs := []attribute.KeyValue{semconv.DBSystemNameKey.String("memory"), semconv.DBOperationNameKey.String("get")}
	set := attribute.NewSet(append(slices.Clone(attrs), attribute.String("kv.result", "hit"))...)
	record := []metric.RecordOption{metric.WithAttributeSet(set)}
	start := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...)}
	hit := []attribute.KeyValue{attribute.String("kv.result", "hit")}
	histogram := func(b *testing.B) metric.Float64Histogram {
		h, err := newSDKMeters(b).Meter("floor").Float64Histogram("db.client.operation.duration",
			metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(otelDurationBuckets...))
		if err != nil {
			b.Fatal(err)
		}
		return h
	}
	epoch := time.Now()
	for _, name := range inRoundOrder([]string{"memory-get", "record", "clock", "timed-record", "span", "span+record"}) {
		b.Run("impl="+name, func(b *testing.B) {
			var run func(i int)
			switch name {
			case "memory-get":
				s := newBenchMemory(b)
				rec := newRecord(recordSize)
				for k := range benchKeys {
					if err := s.Set(ctx, benchKey(k), rec); err != nil {
						b.Fatal(err)
					}
				}
				run = func(i int) {
					if _, err := s.Get(ctx, benchKey(i)); err != nil {
						b.Fatal(err)
					}
				}
			case "record":
				h := histogram(b)
				run = func(int) { h.Record(ctx, 1e-6, record...) }
			case "clock":
				run = func(int) {
					if time.Since(epoch) < 0 || time.Since(epoch) < 0 {
						b.Fatal("the monotonic clock went back")
					}
				}
			case "timed-record":
				h := histogram(b)
				run = func(int) {
					t0 := time.Since(epoch)
					h.Record(ctx, (time.Since(epoch) - t0).Seconds(), record...)
				}
			case "span":
				tr := newSDKTracers(b).Tracer("floor")
				run = func(int) {
					_, sp := tr.Start(ctx, "get", start...)
					sp.SetAttributes(hit...)
					sp.End()
				}
			case "span+record":
				h, tr := histogram(b), newSDKTracers(b).Tracer("floor")
				run = func(int) {
					sctx, sp := tr.Start(ctx, "get", start...)
					h.Record(sctx, 1e-6, record...)
					sp.SetAttributes(hit...)
					sp.End()
				}
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				run(i)
			}
		})
	}
}

// otelDurationBuckets are otelkv's bounds of its duration histogram
// (unexported there), so that impl=record searches as many buckets.
var otelDurationBuckets = []float64{0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}

// otelImpls returns the implementations named, over stores that open
// makes.
func otelImpls(open func(*testing.B) kv.Store[string, Record], names ...string) []impl {
	providers := map[string]func(*testing.B) []otelkv.Option{
		"noop": func(*testing.B) []otelkv.Option {
			return []otelkv.Option{
				otelkv.WithMeterProvider(metricnoop.NewMeterProvider()),
				otelkv.WithTracerProvider(tracenoop.NewTracerProvider()),
			}
		},
		"global": func(*testing.B) []otelkv.Option { return nil },
		"sdk-metrics": func(b *testing.B) []otelkv.Option {
			return []otelkv.Option{
				otelkv.WithMeterProvider(newSDKMeters(b)),
				otelkv.WithTracerProvider(tracenoop.NewTracerProvider()),
			}
		},
		"sdk": func(b *testing.B) []otelkv.Option {
			return []otelkv.Option{
				otelkv.WithMeterProvider(newSDKMeters(b)),
				otelkv.WithTracerProvider(newSDKTracers(b)),
			}
		},
	}
	var out []impl
	for _, name := range names {
		if name == "bare" {
			out = append(out, impl{name, func(b *testing.B) ops { return typedOps(open(b)) }})
			continue
		}
		out = append(out, impl{name, func(b *testing.B) ops {
			opts := append(providers[name](b), otelkv.WithValueSize(func(r Record) int { return len(r.Data) }))
			s := otelkv.Wrap(open(b), opts...)
			b.Cleanup(func() { s.Close() })
			return typedOps(s)
		}})
	}
	return out
}

func newBenchMemory(b *testing.B) kv.Store[string, Record] {
	s := memory.New[string, Record]()
	b.Cleanup(func() { s.Close() })
	return s
}

func newBenchSQLite(b *testing.B) kv.Store[string, Record] {
	raw, err := sqlite.Open(filepath.Join(b.TempDir(), "kv.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	s := kv.Typed(raw, kv.StringKeys(), kv.CBOR[Record]())
	b.Cleanup(func() { s.Close() })
	return s
}

func newBenchRedis(b *testing.B) kv.Store[string, Record] {
	s := kv.Typed(redisBytes(b), kv.StringKeys(), kv.CBOR[Record]())
	b.Cleanup(func() { s.Close() })
	return s
}

func newSDKMeters(b *testing.B) *sdkmetric.MeterProvider {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { mp.Shutdown(context.Background()) })
	return mp
}

func newSDKTracers(b *testing.B) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(dropSpans{}))
	b.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tp
}

// dropSpans is a span processor that exports nothing: the cost measured
// is that of recording spans, not of sending them anywhere.
type dropSpans struct{}

func (dropSpans) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (dropSpans) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (dropSpans) Shutdown(context.Context) error                  { return nil }
func (dropSpans) ForceFlush(context.Context) error                { return nil }
