package bench

import (
	"context"
	"testing"
	"time"
)

// BenchmarkPostgresPaired alternates the raw pgx calls and the typed
// store's, one operation each in turn on the same keys, and reports the
// time of each side (raw-ns/op, kv-ns/op) and their ratio (kv/raw): on a
// shared, loaded machine both sides then see the same load, which
// separate benchmarks run seconds apart do not.
func BenchmarkPostgresPaired(b *testing.B) {
	ctx := context.Background()
	rec := newRecord(recordSize)
	raw, typed := openPostgresRaw(b), openPostgresKV(b)
	for k := range benchKeys {
		for _, o := range []ops{raw, typed} {
			if err := o.set(ctx, benchKey(k), rec); err != nil {
				b.Fatal(err)
			}
			if _, err := o.get(ctx, benchKey(k)); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, op := range []string{"Get", "Set"} {
		b.Run("op="+op, func(b *testing.B) {
			do := func(o ops, n int) error {
				if op == "Get" {
					_, err := o.get(ctx, benchKey(n))
					return err
				}
				return o.set(ctx, benchKey(n), rec)
			}
			var tRaw, tKV time.Duration
			n := 0
			for b.Loop() {
				// Which side goes first alternates too.
				first, second, tf, ts := raw, typed, &tRaw, &tKV
				if n%2 == 1 {
					first, second, tf, ts = typed, raw, &tKV, &tRaw
				}
				t0 := time.Now()
				if err := do(first, n); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := do(second, n); err != nil {
					b.Fatal(err)
				}
				*tf += t1.Sub(t0)
				*ts += time.Since(t1)
				n++
			}
			b.ReportMetric(float64(tRaw.Nanoseconds())/float64(n), "raw-ns/op")
			b.ReportMetric(float64(tKV.Nanoseconds())/float64(n), "kv-ns/op")
			b.ReportMetric(float64(tKV)/float64(tRaw), "kv/raw")
		})
	}
}
