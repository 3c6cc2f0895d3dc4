// Command targets reads go test -bench output files and prints, as a
// Markdown table, whether kv meets the performance targets of its
// benchmark issue, each as a ratio of medians measured in the same run:
//
//	go run ./internal/targets results/*.txt
//
// It reads the benchmarks of package bench by name: BenchmarkStore
// (impl=raw, kv, gokv), BenchmarkBatchGet100 (impl=loop, batch),
// BenchmarkHTTPCache, BenchmarkHTTPHitVsOrigin, BenchmarkOtelKV
// (impl=bare, noop, sdk), and BenchmarkConditional and
// BenchmarkConditionalNetwork (impl=raw, kv; shown, not judged).
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	r := results{}
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "targets:", err)
			os.Exit(1)
		}
		r.read(f)
		f.Close()
	}
	r.report(os.Stdout)
}

// results maps a benchmark name (without the GOMAXPROCS suffix) and a unit
// to the values measured.
type results map[string]map[string][]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

func (r results) read(in io.Reader) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		// Also under name@cpuN, for the targets that compare GOMAXPROCS
		// (go test names no suffix at GOMAXPROCS 1).
		procs := "@cpu1"
		if sfx := procSuffix.FindString(f[0]); sfx != "" {
			procs = "@cpu" + sfx[1:]
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			r.add(name, f[i+1], v)
			r.add(name+procs, f[i+1], v)
		}
	}
}

func (r results) add(name, unit string, v float64) {
	if r[name] == nil {
		r[name] = map[string][]float64{}
	}
	r[name][unit] = append(r[name][unit], v)
}

// median returns the median of name's values in unit, and false when
// there are none.
func (r results) median(name, unit string) (float64, bool) {
	vs := slices.Clone(r[name][unit])
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

type row struct {
	target, measured, verdict string
}

func (r results) report(w io.Writer) {
	var rows []row
	add := func(target, measured string, met bool) {
		v := "**missed**"
		if met {
			v = "met"
		}
		rows = append(rows, row{target, measured, v})
	}
	info := func(target, measured string) { rows = append(rows, row{target, measured, "info"}) }

	r.typed(add)
	r.batchGet(add)
	r.peers(add, info)
	r.httpcache(add)
	r.bartventer(add)
	r.manyWriters(add, info)
	if n, ok := r.median("BenchmarkHTTPConcurrentMiss/impl=kv", "origin-requests/op"); ok {
		add("8 concurrent identical misses reach the origin once",
			fmt.Sprintf("%.2f origin requests per 8 misses", n), n <= 1)
	}
	r.conditional(info)

	r.otelkv(add)
	r.hitRatio(add)

	fmt.Fprintln(w, "| target | measured (median of the runs) | |")
	fmt.Fprintln(w, "|---|---|---|")
	met, targets := 0, 0
	for _, x := range rows {
		fmt.Fprintf(w, "| %s | %s | %s |\n", x.target, x.measured, x.verdict)
		switch x.verdict {
		case "met":
			met++
			targets++
		case "info":
		default:
			targets++
		}
	}
	fmt.Fprintf(w, "\n%d of %d targets met.\n", met, targets)
}

// typed adds the targets of the typed store over the raw driver.
func (r results) typed(add func(target, measured string, met bool)) {
	for _, st := range []struct {
		name  string
		limit float64
	}{
		{"memory", 1.25}, {"file", 1.25}, {"sqlite", 1.25}, {"badger", 1.25},
		{"redis", 1.10}, {"mongo", 1.10}, {"dynamodb", 1.10}, {"postgres", 1.10},
	} {
		for _, op := range []string{"Get", "Set"} {
			name := func(impl string) string {
				return fmt.Sprintf("BenchmarkStore/store=%s/impl=%s/op=%s", st.name, impl, op)
			}
			raw, ok1 := r.median(name("raw"), "ns/op")
			k, ok2 := r.median(name("kv"), "ns/op")
			if !ok1 || !ok2 {
				continue
			}
			ratio := k / raw
			m := fmt.Sprintf("%.2f× (kv %s, raw %s)", ratio, dur(k), dur(raw))
			if op == "Get" {
				ka, _ := r.median(name("kv"), "allocs/op")
				ra, _ := r.median(name("raw"), "allocs/op")
				m += fmt.Sprintf("; allocs/Get kv %.0f, raw %.0f", ka, ra)
			}
			add(fmt.Sprintf("typed %s %s ≤ %.2f× raw", st.name, op, st.limit), m, ratio <= st.limit)
		}
	}
}

// batchGet adds the targets of GetMany(100) against 100 Gets.
func (r results) batchGet(add func(target, measured string, met bool)) {
	for _, st := range []string{"redis", "mongo", "dynamodb", "postgres"} {
		base := "BenchmarkBatchGet100/store=" + st + "/impl="
		loop, ok1 := r.median(base+"loop", "ns/op")
		batch, ok2 := r.median(base+"batch", "ns/op")
		if !ok1 || !ok2 {
			continue
		}
		speedup := loop / batch
		add(fmt.Sprintf("%s GetMany(100) ≥ 10× faster than 100 Gets", st),
			fmt.Sprintf("%.1f× (batch %s, loop %s)", speedup, dur(batch), dur(loop)), speedup >= 10)
	}
}

// peers adds the targets against gokv, and golang-lru beside them (not a
// target of the issue).
func (r results) peers(add func(target, measured string, met bool), info func(target, measured string)) {
	for _, st := range []string{"memory", "file", "sqlite", "badger", "redis", "mongo", "dynamodb", "postgres"} {
		for _, op := range []string{"Get", "Set"} {
			name := func(impl string) string {
				return fmt.Sprintf("BenchmarkStore/store=%s/impl=%s/op=%s", st, impl, op)
			}
			k, ok := r.median(name("kv"), "ns/op")
			if !ok {
				continue
			}
			for _, peer := range []string{"gokv", "lru"} {
				p, ok := r.median(name(peer), "ns/op")
				if !ok {
					continue
				}
				speedup := p / k
				m := fmt.Sprintf("%.2f× (kv %s, %s %s)", speedup, dur(k), peer, dur(p))
				if peer == "lru" {
					info(fmt.Sprintf("(not a target) %s %s against golang-lru", st, op), m)
					continue
				}
				add(fmt.Sprintf("%s %s faster than %s", st, op, peer), m, speedup > 1)
			}
		}
	}
}

// httpcache adds the targets of the HTTP cache against gregjones/httpcache
// and a loopback origin.
func (r results) httpcache(add func(target, measured string, met bool)) {
	if k, ok := r.median("BenchmarkHTTPCache/path=hit/impl=kv", "ns/op"); ok {
		if g, ok := r.median("BenchmarkHTTPCache/path=hit/impl=gregjones", "ns/op"); ok {
			add("httpcache hit ≥ 3× faster than gregjones/httpcache's hit",
				fmt.Sprintf("%.2f× (kv %s, gregjones %s)", g/k, dur(k), dur(g)), g/k >= 3)
		}
	}
	if k, ok := r.median("BenchmarkHTTPHitVsOrigin/impl=kv", "ns/op"); ok {
		if o, ok := r.median("BenchmarkHTTPHitVsOrigin/impl=origin", "ns/op"); ok {
			add("httpcache hit ≥ 10× faster than a loopback origin request",
				fmt.Sprintf("%.1f× (kv %s, origin %s)", o/k, dur(k), dur(o)), o/k >= 10)
		}
	}
	for _, path := range []string{"miss", "revalidate"} {
		k, ok1 := r.median("BenchmarkHTTPCache/path="+path+"/impl=kv", "ns/op")
		g, ok2 := r.median("BenchmarkHTTPCache/path="+path+"/impl=gregjones", "ns/op")
		if ok1 && ok2 {
			add("httpcache "+path+" faster than gregjones/httpcache's",
				fmt.Sprintf("%.2f× (kv %s, gregjones %s)", g/k, dur(k), dur(g)), g > k)
		}
	}
}

// conditional adds, as information (the issue sets no limit), the
// conditional writes of BenchmarkConditional and
// BenchmarkConditionalNetwork against the backend's raw conditional write.
func (r results) conditional(info func(target, measured string)) {
	for _, bench := range []string{"BenchmarkConditional", "BenchmarkConditionalNetwork"} {
		for _, st := range []string{"sqlite", "badger", "redis", "dynamodb", "postgres"} {
			for _, op := range []string{"SetIfAbsent", "CompareAndSwap"} {
				name := func(impl string) string {
					return fmt.Sprintf("%s/store=%s/impl=%s/op=%s", bench, st, impl, op)
				}
				raw, ok1 := r.median(name("raw"), "ns/op")
				k, ok2 := r.median(name("kv"), "ns/op")
				if !ok1 || !ok2 {
					continue
				}
				info(fmt.Sprintf("(not a target) %s %s against the raw conditional write", st, op),
					fmt.Sprintf("%.2f× (kv %s, raw %s)", k/raw, dur(k), dur(raw)))
			}
		}
	}
}

// bartventer adds the targets against bartventer/httpcache and the
// parallel speed-up of a hit (BenchmarkHTTPHitParallel run with
// -cpu=1,2).
func (r results) bartventer(add func(target, measured string, met bool)) {
	for _, t := range []struct {
		path  string
		limit float64
	}{{"hit", 2}, {"miss", 1}, {"revalidate", 1}} {
		k, ok1 := r.median("BenchmarkHTTPCache/path="+t.path+"/impl=kv", "ns/op")
		p, ok2 := r.median("BenchmarkHTTPCache/path="+t.path+"/impl=bartventer", "ns/op")
		if !ok1 || !ok2 {
			continue
		}
		target := fmt.Sprintf("httpcache %s ≥ %.0f× faster than bartventer/httpcache's", t.path, t.limit)
		if t.limit == 1 {
			target = "httpcache " + t.path + " faster than bartventer/httpcache's"
		}
		add(target, fmt.Sprintf("%.2f× (kv %s, bartventer %s)", p/k, dur(k), dur(p)), p/k >= t.limit && p > k)
	}
	name := "BenchmarkHTTPHitParallel/goroutines=8/impl=kv"
	one, ok1 := r.median(name+"@cpu1", "ns/op")
	two, ok2 := r.median(name+"@cpu2", "ns/op")
	if ok1 && ok2 {
		add("httpcache parallel hit throughput (8 goroutines) at -cpu=2 ≥ 1.7× -cpu=1",
			fmt.Sprintf("%.2f× (%s per hit at -cpu=2, %s at -cpu=1)", one/two, dur(two), dur(one)), one/two >= 1.7)
	}
}

// manyWriters adds the target of BenchmarkManyWriters: kv's SQLite store
// with 64 writers at least 5× the throughput of the raw driver writing
// one transaction at a time, with the store's synchronous=NORMAL and with
// FULL; the file and Badger stores are shown beside it.
func (r results) manyWriters(add func(target, measured string, met bool), info func(target, measured string)) {
	for _, st := range []string{"sqlite", "sqlite-full", "file", "badger"} {
		base := "BenchmarkManyWriters/store=" + st + "/impl="
		raw, ok1 := r.median(base+"raw/writers=64", "ns/op")
		k, ok2 := r.median(base+"kv/writers=64", "ns/op")
		if !ok1 || !ok2 {
			continue
		}
		m := fmt.Sprintf("%.2f× (kv %s per Set, raw %s)", raw/k, dur(k), dur(raw))
		if !strings.HasPrefix(st, "sqlite") {
			info(fmt.Sprintf("(not a target) %s, 64 writers, throughput against raw", st), m)
			continue
		}
		add(fmt.Sprintf("%s, 64 writers: ≥ 5× the raw one-transaction-per-write throughput", st), m, raw/k >= 5)
	}
}

// hitRatio adds one target per trace and size of BenchmarkHitRatio: the
// bounded memory store within 1 point of the best of otter and ristretto.
func (r results) hitRatio(add func(target, measured string, met bool)) {
	for _, tr := range []string{"zipf0.8", "zipf1.1", "scan"} {
		for _, size := range []string{"1%", "10%"} {
			name := func(impl string) string {
				return fmt.Sprintf("BenchmarkHitRatio/trace=%s/size=%s/impl=%s", tr, size, impl)
			}
			m, ok := r.median(name("memory"), "hit-%")
			if !ok {
				continue
			}
			o, _ := r.median(name("otter"), "hit-%")
			ri, _ := r.median(name("ristretto"), "hit-%")
			best := max(o, ri)
			add(fmt.Sprintf("bounded memory hit ratio on %s at %s of the keys within 1 point of otter/ristretto", tr, size),
				fmt.Sprintf("%.2f vs %.2f (otter %.2f, ristretto %.2f)", m, best, o, ri), m >= best-1)
		}
	}
}

// otelkv adds the targets of the OpenTelemetry wrapper over the memory
// store.
func (r results) otelkv(add func(target, measured string, met bool)) {
	for _, t := range []struct {
		impl, what string
		limit      float64
	}{{"noop", "with no-op providers", 1.05}, {"sdk", "with the SDK", 1.5}} {
		for _, op := range []string{"Get", "Set"} {
			base := "BenchmarkOtelKV/store=memory/impl="
			bare, ok1 := r.median(base+"bare/op="+op, "ns/op")
			o, ok2 := r.median(base+t.impl+"/op="+op, "ns/op")
			if !ok1 || !ok2 {
				continue
			}
			add(fmt.Sprintf("otelkv memory %s %s ≤ %.2f× bare", op, t.what, t.limit),
				fmt.Sprintf("%.2f× (otelkv %s, bare %s)", o/bare, dur(o), dur(bare)), o/bare <= t.limit)
		}
	}
}

// dur formats nanoseconds for a table.
func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2fms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1fµs", ns/1e3)
	}
	return fmt.Sprintf("%.0fns", ns)
}
