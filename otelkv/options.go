package otelkv

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Option configures Wrap.
type Option func(*config)

type config struct {
	meters  metric.MeterProvider
	tracers trace.TracerProvider
	backend string
	attrs   []attribute.KeyValue
	size    any // func(V) int for the store's V, from WithValueSize
}

// WithMeterProvider makes the store record its metrics with mp. Without
// it, the global provider (otel.GetMeterProvider) at the time of Wrap is
// used; until an application installs one, it records nothing.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.meters = mp }
}

// WithTracerProvider makes the store start its spans with tp. Without it,
// the global provider (otel.GetTracerProvider) at the time of Wrap is used.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tracers = tp }
}

// WithBackendName sets the db.system.name attribute of every span and
// measurement, e.g. "redis" or "sqlite". Without it, the name is the last
// element of the wrapped store's package path ("memory" for
// stores/memory), or "kv" when there is none.
func WithBackendName(name string) Option {
	return func(c *config) { c.backend = name }
}

// WithAttributes adds attrs to every span and measurement, e.g. a
// db.namespace naming the table or key prefix. Keep them few and of low
// cardinality: each distinct set is a time series of its own.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	return func(c *config) { c.attrs = append(c.attrs, attrs...) }
}

// WithValueSize sets how the store measures a value for its byte counters.
// Without it, values of type []byte and string are measured by their
// length and values of other types are not measured. Wrap panics when V is
// not the value type of the store it wraps.
func WithValueSize[V any](size func(V) int) Option {
	return func(c *config) { c.size = size }
}
