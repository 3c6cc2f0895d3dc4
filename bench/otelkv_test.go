package bench

import (
	"context"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/otelkv"
	"github.com/kvkit/kv/stores/memory"
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
// SDK's TracerProvider sampling every span into a processor that drops it.
func BenchmarkOtelKV(b *testing.B) {
	b.Run("store=memory", func(b *testing.B) {
		runStoreOps(b, []impl{
			{"bare", func(b *testing.B) ops { return typedOps(newBenchMemory(b)) }},
			{"noop", openOtel(func(*testing.B) []otelkv.Option {
				return []otelkv.Option{
					otelkv.WithMeterProvider(metricnoop.NewMeterProvider()),
					otelkv.WithTracerProvider(tracenoop.NewTracerProvider()),
				}
			})},
			{"global", openOtel(func(*testing.B) []otelkv.Option { return nil })},
			{"sdk-metrics", openOtel(func(b *testing.B) []otelkv.Option {
				return []otelkv.Option{
					otelkv.WithMeterProvider(newSDKMeters(b)),
					otelkv.WithTracerProvider(tracenoop.NewTracerProvider()),
				}
			})},
			{"sdk", openOtel(func(b *testing.B) []otelkv.Option {
				return []otelkv.Option{
					otelkv.WithMeterProvider(newSDKMeters(b)),
					otelkv.WithTracerProvider(newSDKTracers(b)),
				}
			})},
		})
	})
}

func newBenchMemory(b *testing.B) kv.Store[string, Record] {
	s := memory.New[string, Record]()
	b.Cleanup(func() { s.Close() })
	return s
}

// openOtel opens a wrapped memory store with the options providers gives.
func openOtel(providers func(*testing.B) []otelkv.Option) func(b *testing.B) ops {
	return func(b *testing.B) ops {
		opts := append(providers(b), otelkv.WithValueSize(func(r Record) int { return len(r.Data) }))
		s := otelkv.Wrap(newBenchMemory(b), opts...)
		b.Cleanup(func() { s.Close() })
		return typedOps(s)
	}
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
