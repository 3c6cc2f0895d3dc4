package otelkv_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/otelkv"
	"github.com/kvkit/kv/stores/memory"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// An application picks the SDK and its reader (here a manual one; in
// production an exporter such as Prometheus or OTLP), wraps its store, and
// owns both.
func Example() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(ctx)

	raw := memory.New[string, []byte]()
	defer raw.Close() // the wrapper does not close what it was given
	s := otelkv.Wrap[string, []byte](raw, otelkv.WithMeterProvider(provider))
	defer s.Close()

	_ = s.Set(ctx, "greeting", []byte("hello"))
	_, _ = s.Get(ctx, "greeting")
	_, err := s.Get(ctx, "absent")
	fmt.Println("miss:", errors.Is(err, kv.ErrNotFound))

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(ctx, &rm)
	seen := map[string]int64{}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Histogram[float64]:
			for _, p := range d.DataPoints {
				seen[m.Name] += int64(p.Count)
			}
		case metricdata.Sum[int64]:
			for _, p := range d.DataPoints {
				seen[m.Name] += p.Value
			}
		}
	}
	fmt.Println("calls:", seen["db.client.operation.duration"])
	fmt.Println("bytes written:", seen["kv.client.bytes.written"])
	fmt.Println("bytes read:", seen["kv.client.bytes.read"])
	// Output:
	// miss: true
	// calls: 3
	// bytes written: 5
	// bytes read: 5
}
