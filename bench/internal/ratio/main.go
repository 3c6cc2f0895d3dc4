// Command ratio judges a target on paired, interleaved rounds: it reads a
// go test -bench output file in which every round ran both benchmarks
// (each once, -count=1 per round), pairs the i-th result of one with the
// i-th of the other, and prints the median of the per-round ratios with a
// distribution-free confidence interval of at least 95 % for that median
// (order statistics of the binomial, as benchstat's intervals are). A
// target is met or missed only when the whole interval clears its
// threshold; otherwise it is undecided.
//
//	go run ./internal/ratio -num 'impl=kv/op=Get-2$' -den 'impl=raw/op=Get-2$' -max 1.25 results/x.txt
//
// -num and -den are regular expressions matched against the whole name
// of each result line (GOMAXPROCS suffix included); each must match one
// benchmark. The ratio is num/den of -unit (sec/op unless said), so that
// -max states "num at most this many times den" and -min "at least".
//
// Pairing by round matters on a noisy machine: a disturbance that slows
// one round slows both of its measurements, and the ratio cancels it,
// where two independent medians would not.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	num := flag.String("num", "", "regular expression for the numerator benchmark")
	den := flag.String("den", "", "regular expression for the denominator benchmark")
	unit := flag.String("unit", "sec/op", "the unit compared (ns/op is read as sec/op)")
	max := flag.Float64("max", 0, "target: the ratio is at most this (0: none)")
	min := flag.Float64("min", 0, "target: the ratio is at least this (0: none)")
	flag.Parse()
	if *num == "" || *den == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: ratio -num RE -den RE [-max X | -min X] FILE...")
		os.Exit(2)
	}
	nre, dre := regexp.MustCompile(*num), regexp.MustCompile(*den)
	var nv, dv []float64
	var nname, dname string
	for _, path := range flag.Args() {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ratio:", err)
			os.Exit(1)
		}
		for _, r := range read(f, *unit) {
			switch {
			case nre.MatchString(r.name):
				nv, nname = append(nv, r.value), check(nname, r.name)
			case dre.MatchString(r.name):
				dv, dname = append(dv, r.value), check(dname, r.name)
			}
		}
		f.Close()
	}
	if len(nv) == 0 || len(nv) != len(dv) {
		fmt.Fprintf(os.Stderr, "ratio: %d results for -num, %d for -den: need the same number, at least one\n", len(nv), len(dv))
		os.Exit(1)
	}
	ratios := make([]float64, len(nv))
	for i := range nv {
		ratios[i] = nv[i] / dv[i]
	}
	med, lo, hi, conf := medianInterval(ratios)
	fmt.Printf("%s / %s: median of %d per-round ratios %.3f×, %.1f %% interval %.3f–%.3f× (medians %s / %s)\n",
		nname, dname, len(ratios), med, conf*100, lo, hi, show(median(nv), *unit), show(median(dv), *unit))
	if v := verdict(lo, hi, *max, *min); v != "" {
		fmt.Println("verdict:", v)
	}
}

// check fails when a regular expression matches two benchmarks.
func check(prev, name string) string {
	if prev != "" && prev != name {
		fmt.Fprintf(os.Stderr, "ratio: the expression matches both %s and %s\n", prev, name)
		os.Exit(1)
	}
	return name
}

// verdict is "met", "missed" or "undecided" for the interval [lo, hi]
// against the target, or "" when there is none.
func verdict(lo, hi, max, min float64) string {
	switch {
	case max > 0 && hi <= max, min > 0 && lo >= min:
		return "met"
	case max > 0 && lo > max, min > 0 && hi < min:
		return "missed"
	case max > 0 || min > 0:
		return "undecided"
	}
	return ""
}

type result struct {
	name  string
	value float64
}

// read returns the results of one unit, in the order of the file.
func read(r io.Reader, unit string) []result {
	var out []result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		for i := 2; i+1 < len(f); i += 2 {
			u := f[i+1]
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			if u == "ns/op" {
				u, v = "sec/op", v/1e9
			}
			if u == unit {
				out = append(out, result{f[0], v})
			}
		}
	}
	return out
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medianInterval returns the median of xs and the widest-needed interval
// [x(k), x(n-k+1)] of order statistics that covers the median with
// probability at least 95 % (the largest such k), with that probability.
// Below six values no such interval exists; it returns the range and its
// lower probability.
func medianInterval(xs []float64) (med, lo, hi, conf float64) {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	k := 1
	for j := 1; j <= n/2; j++ {
		if c := 1 - 2*binomCDF(j-1, n); c >= 0.95 {
			k = j
		}
	}
	return median(s), s[k-1], s[n-k], 1 - 2*binomCDF(k-1, n)
}

// binomCDF is P(X <= k) for X ~ Binomial(n, 1/2).
func binomCDF(k, n int) float64 {
	p := 0.0
	for i := 0; i <= k; i++ {
		lg, _ := math.Lgamma(float64(n + 1))
		a, _ := math.Lgamma(float64(i + 1))
		b, _ := math.Lgamma(float64(n - i + 1))
		p += math.Exp(lg - a - b - float64(n)*math.Ln2)
	}
	return p
}

func show(v float64, unit string) string {
	if unit != "sec/op" {
		return strconv.FormatFloat(v, 'g', 4, 64) + " " + unit
	}
	switch {
	case v >= 1e-3:
		return fmt.Sprintf("%.2fms", v*1e3)
	case v >= 1e-6:
		return fmt.Sprintf("%.1fµs", v*1e6)
	}
	return fmt.Sprintf("%.1fns", v*1e9)
}
