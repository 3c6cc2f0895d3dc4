package bench

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/otelkv"
	"github.com/kvkit/kv/stores/memory"
	"github.com/kvkit/kv/stores/sqlite"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
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
// it. store=sqlite repeats bare, noop and sdk over a typed SQLite store.
func BenchmarkOtelKV(b *testing.B) {
	b.Run("store=memory", func(b *testing.B) {
		runStoreOps(b, otelImpls(newBenchMemory, "bare", "noop", "global", "sdk-metrics", "sdk"))
	})
	// The same over SQLite (typed, CBOR), where a call takes microseconds.
	b.Run("store=sqlite", func(b *testing.B) {
		runStoreOps(b, otelImpls(newBenchSQLite, "bare", "noop", "sdk"))
	})
}

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
