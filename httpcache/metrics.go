package httpcache

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// meterName names the meter the Transport records with: the package's
// import path, as OpenTelemetry asks of instrumentation libraries.
const meterName = "github.com/kvkit/kv/httpcache"

// The values of the attributes, by index. Each measurement passes one of
// the option slices built for these in newMetrics, so that recording
// builds no attribute set and allocates nothing.
var (
	statusNames  = [...]string{"hit", "miss", "stale", "revalidated", "bypass", "error"}
	outcomeNames = [...]string{"response", "not_modified", "server_error", "error"}
	resultNames  = [...]string{"not_modified", "updated", "failed", "unneeded", "cancelled"}
	opNames      = [...]string{"get", "set", "delete"}
)

// Indexes into statusNames.
const (
	stHit = iota
	stMiss
	stStale
	stRevalidated
	stBypass
	stError
)

// Indexes into outcomeNames.
const (
	outResponse = iota
	outNotModified
	outServerError
	outError
)

// Indexes into resultNames.
const (
	revNotModified = iota
	revUpdated
	revFailed
	revUnneeded
	revCancelled
)

// durationBuckets are the bounds, in seconds, of the request duration
// histogram: those OpenTelemetry's semantic conventions give HTTP
// durations, from a hit (well under a millisecond) to a slow origin.
var durationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// metrics holds a Transport's instruments (see WithMeterProvider) and
// the attribute options of every measurement.
type metrics struct {
	meter     metric.Meter
	requests  metric.Int64Counter
	duration  metric.Float64Histogram
	origin    metric.Int64Counter
	storeErrs metric.Int64Counter
	revals    metric.Int64Counter
	breaker   metric.Int64ObservableGauge

	statusAdd [len(statusNames)][]metric.AddOption
	statusRec [len(statusNames)][]metric.RecordOption
	originAdd [len(outcomeNames)][]metric.AddOption
	revalAdd  [len(resultNames)][]metric.AddOption
}

// newMetrics makes the instruments from mp's meter (the global
// provider's when mp is nil). An instrument the provider refuses is
// reported to otel.Handle and replaced by a no-op one.
func newMetrics(mp metric.MeterProvider) *metrics {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := &metrics{meter: mp.Meter(meterName)}
	m.requests = instrument(m.meter.Int64Counter("httpcache.requests", metric.WithUnit("{request}"),
		metric.WithDescription("Requests the cache answered, by cache status.")))(noop.Int64Counter{})
	m.duration = instrument(m.meter.Float64Histogram("httpcache.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from a request to its response headers, by cache status."),
		metric.WithExplicitBucketBoundaries(durationBuckets...)))(noop.Float64Histogram{})
	m.origin = instrument(m.meter.Int64Counter("httpcache.origin.requests", metric.WithUnit("{request}"),
		metric.WithDescription("Requests sent to the origin, by outcome.")))(noop.Int64Counter{})
	m.storeErrs = instrument(m.meter.Int64Counter("httpcache.store.errors", metric.WithUnit("{error}"),
		metric.WithDescription("Failed store calls of requests and revalidations, by store and operation.")))(noop.Int64Counter{})
	m.revals = instrument(m.meter.Int64Counter("httpcache.revalidations", metric.WithUnit("{revalidation}"),
		metric.WithDescription("Background (stale-while-revalidate) revalidations, by result.")))(noop.Int64Counter{})
	m.breaker = instrument(m.meter.Int64ObservableGauge("httpcache.breaker.state", metric.WithUnit("1"),
		metric.WithDescription("1 while the store's breaker is open (the store is skipped), else 0.")))(noop.Int64ObservableGauge{})
	for i, s := range statusNames {
		set := attribute.NewSet(attribute.String("cache.status", s))
		m.statusAdd[i] = []metric.AddOption{metric.WithAttributeSet(set)}
		m.statusRec[i] = []metric.RecordOption{metric.WithAttributeSet(set)}
	}
	for i, s := range outcomeNames {
		m.originAdd[i] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", s)))}
	}
	for i, s := range resultNames {
		m.revalAdd[i] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("result", s)))}
	}
	return m
}

// instrument returns a function that gives inst, or fallback when the
// provider refused inst.
func instrument[I any](inst I, err error) func(fallback I) I {
	return func(fallback I) I {
		if err != nil {
			otel.Handle(err)
			if any(inst) == nil {
				return fallback
			}
		}
		return inst
	}
}

// storeMetrics are the options of one store's error counts, by operation.
type storeMetrics struct {
	errs metric.Int64Counter
	ops  [len(opNames)][]metric.AddOption
}

// forStore returns the store error options of the store called name.
func (m *metrics) forStore(name string) *storeMetrics {
	sm := &storeMetrics{errs: m.storeErrs}
	for i, op := range opNames {
		set := attribute.NewSet(attribute.String("store", name), attribute.String("operation", op))
		sm.ops[i] = []metric.AddOption{metric.WithAttributeSet(set)}
	}
	return sm
}

// failed counts a failed call of operation op ("get", "set" or "delete").
func (sm *storeMetrics) failed(ctx context.Context, op string) {
	for i, name := range opNames {
		if name == op {
			sm.errs.Add(ctx, 1, sm.ops[i]...)
			return
		}
	}
}

// observeBreakers registers the callback that reports the state of each
// store's breaker (nil: off, never open). The caller unregisters it.
func (m *metrics) observeBreakers(names []string, brs []*breaker) metric.Registration {
	opts := make([]metric.ObserveOption, len(names))
	for i, n := range names {
		opts[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String("store", n)))
	}
	reg, err := m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for i, b := range brs {
			o.ObserveInt64(m.breaker, b.openState(), opts[i])
		}
		return nil
	}, m.breaker)
	if err != nil {
		otel.Handle(err)
		return nil
	}
	return reg
}

// start returns the time a request starts at, for its duration; the zero
// time, without reading the clock, when no reader wants durations (the
// no-op and the not yet delegated global providers), which keeps a hit
// from paying for a clock read that nothing records.
func (m *metrics) start(ctx context.Context) time.Time {
	if !m.duration.Enabled(ctx) {
		return time.Time{}
	}
	return time.Now()
}

// request counts a request the cache answered with resp or err, which
// took from start (zero: not timed) until now. It does nothing for an
// instrument no reader wants.
func (m *metrics) request(ctx context.Context, resp *http.Response, err error, start time.Time) {
	count, timed := m.requests.Enabled(ctx), !start.IsZero()
	if !count && !timed {
		return
	}
	i := responseStatus(resp, err)
	if count {
		m.requests.Add(ctx, 1, m.statusAdd[i]...)
	}
	if timed {
		m.duration.Record(ctx, time.Since(start).Seconds(), m.statusRec[i]...)
	}
}

// responseStatus is the index of the cache status of a request's answer:
// that of its StatusHeader, or error.
func responseStatus(resp *http.Response, err error) int {
	if err != nil || resp == nil {
		return stError
	}
	var s string
	if v := resp.Header[StatusHeader]; len(v) > 0 {
		s = v[0]
	}
	switch Status(s) {
	case Hit:
		return stHit
	case Stale:
		return stStale
	case Revalidated:
		return stRevalidated
	case Bypass:
		return stBypass
	}
	return stMiss
}

// originRequest counts a request to the origin, by how it went.
func (m *metrics) originRequest(ctx context.Context, resp *http.Response, err error) {
	i := outResponse
	switch {
	case err != nil || resp == nil:
		i = outError
	case resp.StatusCode == http.StatusNotModified:
		i = outNotModified
	case resp.StatusCode >= 500:
		i = outServerError
	}
	m.origin.Add(ctx, 1, m.originAdd[i]...)
}

// revalidation counts a background revalidation, by result.
func (m *metrics) revalidation(ctx context.Context, result int) {
	m.revals.Add(ctx, 1, m.revalAdd[result]...)
}

// revalidationResult is the result of a background revalidation that
// got resp or err from fetchOrigin; ctxErr is its context's error (Close
// cancels revalidations).
func revalidationResult(resp *http.Response, err, ctxErr error) int {
	switch {
	case err != nil && ctxErr != nil:
		return revCancelled
	case err != nil || resp.StatusCode >= 500:
		return revFailed
	case CacheStatus(resp) == Revalidated:
		return revNotModified
	case CacheStatus(resp) == Stale:
		return revFailed // stale-if-error stood in for a failed origin
	}
	return revUpdated
}
