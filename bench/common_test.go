package bench

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// Record is the value the store benchmarks write and read: a small struct
// with a payload, as an application would keep.
type Record struct {
	ID      int64     `cbor:"id"`
	Name    string    `cbor:"n"`
	Tags    []string  `cbor:"t"`
	Updated time.Time `cbor:"u"`
	Data    []byte    `cbor:"d"`
}

// recordSize is the payload of the Record of the store benchmarks.
const recordSize = 1 << 10

// benchKeys is how many entries the store benchmarks preload and cycle
// through.
const benchKeys = 1000

func newRecord(size int) Record {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + 3)
	}
	return Record{
		ID:      42,
		Name:    "benchmark record",
		Tags:    []string{"alpha", "beta", "gamma"},
		Updated: time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC),
		Data:    data,
	}
}

// benchKeyNames are the keys of the store benchmarks, made once so that
// the benchmarks' allocations are the stores' own.
var benchKeyNames = keyList(benchKeys)

func benchKey(i int) string { return benchKeyNames[i%benchKeys] }

// keyList returns n distinct keys.
func keyList(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%07d", i)
	}
	return keys
}

// The raw baselines encode by hand with the same CBOR options as
// kv.CBOR: core deterministic encoding, RFC 3339 times, and the same
// decode limits.
var (
	rawEnc cbor.EncMode
	rawDec cbor.DecMode
)

func init() {
	var err error
	rawEnc, err = cbor.EncOptions{Sort: cbor.SortCoreDeterministic, Time: cbor.TimeRFC3339Nano}.EncMode()
	if err != nil {
		panic(err)
	}
	rawDec, err = cbor.DecOptions{
		MaxNestedLevels:  32,
		MaxArrayElements: 1 << 20,
		MaxMapPairs:      1 << 20,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

func encodeRecord(r Record) ([]byte, error) { return rawEnc.Marshal(r) }

func decodeRecord(b []byte) (Record, error) {
	var r Record
	err := rawDec.Unmarshal(b, &r)
	return r, err
}

// gokvCBOR is a gokv encoding.Codec with the CBOR options above, so that
// gokv stores encode exactly as the kv and raw implementations do.
type gokvCBOR struct{}

func (gokvCBOR) Marshal(v any) ([]byte, error)      { return rawEnc.Marshal(v) }
func (gokvCBOR) Unmarshal(data []byte, v any) error { return rawDec.Unmarshal(data, v) }

// ops is one implementation of the store benchmarks: the same Record read
// and written by key.
type ops struct {
	get func(ctx context.Context, key string) (Record, error)
	set func(ctx context.Context, key string, r Record) error
}

// impl is a named implementation; the first of a list is the baseline.
type impl struct {
	name string
	open func(b *testing.B) ops
}

// runStoreOps runs Get and Set through each implementation in turn. Each
// is opened, preloaded with benchKeys records and read once just before it
// is measured, and closed right after, so that no other implementation's
// background work (flushes, compactions) runs during its measurement.
func runStoreOps(b *testing.B, impls []impl) {
	ctx := context.Background()
	rec := newRecord(recordSize)
	for _, im := range inRoundOrder(impls) {
		b.Run("impl="+im.name, func(b *testing.B) {
			o := im.open(b)
			for k := range benchKeys {
				if err := o.set(ctx, benchKey(k), rec); err != nil {
					b.Fatalf("preload: %v", err)
				}
			}
			// One read of every key, so the first timed run does not pay
			// for what the writes left behind.
			for k := range benchKeys {
				if _, err := o.get(ctx, benchKey(k)); err != nil {
					b.Fatalf("warm-up: %v", err)
				}
			}
			b.Run("op=Get", func(b *testing.B) {
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					r, err := o.get(ctx, benchKey(n))
					if err != nil {
						b.Fatal(err)
					}
					if len(r.Data) != recordSize {
						b.Fatalf("got %d bytes of data", len(r.Data))
					}
					n++
				}
			})
			b.Run("op=Set", func(b *testing.B) {
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					if err := o.set(ctx, benchKey(n), rec); err != nil {
						b.Fatal(err)
					}
					n++
				}
			})
		})
	}
}

// inRoundOrder returns xs rotated by the round number bench/run passes in
// BENCH_ROUND (0 when unset), so that over the rounds each implementation
// runs first, second, ... equally often: the one that runs right after
// another's preload, or while a server is still busy with it, is not
// always the same.
func inRoundOrder[T any](xs []T) []T {
	r, _ := strconv.Atoi(os.Getenv("BENCH_ROUND"))
	if len(xs) == 0 || r <= 0 {
		return xs
	}
	r %= len(xs)
	return append(slices.Clone(xs[r:]), xs[:r]...)
}

// serverEnv returns the value of a server variable, or skips the benchmark
// naming it.
func serverEnv(b *testing.B, name string) string {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		b.Skipf("%s is not set; run with the test servers (bench/run, or tools/testservers)", name)
	}
	return v
}

const (
	redisVar  = "KV_TEST_REDIS_ADDR"
	mongoVar  = "KV_TEST_MONGO_URI"
	dynamoVar = "KV_TEST_DYNAMODB_ENDPOINT"
)

// uniqueName returns a name for a database, table or key prefix that no
// other benchmark of this process uses.
func uniqueName(b *testing.B, what string) string {
	seq++
	name := fmt.Sprintf("bench_%s_%d_%d", what, os.Getpid(), seq)
	return strings.NewReplacer("/", "_", "=", "_", "-", "_").Replace(name)
}

// seq numbers the names uniqueName gives; benchmarks run one at a time.
var seq int

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func countName(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dK", n/1000)
	}
	return fmt.Sprint(n)
}
