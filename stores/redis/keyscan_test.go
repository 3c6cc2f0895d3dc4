package redis_test

import (
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/redis/rueidis"
)

// valueReadCalls returns how many GET, MGET and PTTL commands the server
// has run (INFO commandstats), the commands that read an entry's value or
// expiry.
func valueReadCalls(t *testing.T, client rueidis.Client) int {
	t.Helper()
	info, err := client.Do(t.Context(), client.B().Info().Section("commandstats").Build()).ToString()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range commandCalls.FindAllStringSubmatch(info, -1) {
		c, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatal(err)
		}
		n += c
	}
	return n
}

var commandCalls = regexp.MustCompile(`(?m)^cmdstat_(?:get|mget|pttl):calls=(\d+)`)

// TestScanKeysReadsNoValue checks that ScanKeys yields the live keys with
// the prefix, not an expired one nor one outside the prefix, and that the
// server ran no GET, MGET or PTTL meanwhile; Scan over the same keys,
// counted the same way, shows that the count sees value reads.
func TestScanKeysReadsNoValue(t *testing.T) {
	client := newClient(t, standaloneOption(t))
	s := newStore(t, client)
	for _, k := range []string{"ns:a", "ns:b", "other"} {
		mustSet(t, s, k, k)
	}
	mustSet(t, s, "ns:gone", "x", kv.WithTTL(50*time.Millisecond))
	time.Sleep(120 * time.Millisecond)

	before := valueReadCalls(t, client)
	var got []string
	for k, err := range s.ScanKeys(t.Context(), "ns:") {
		if err != nil {
			t.Fatalf("ScanKeys: %v", err)
		}
		got = append(got, k)
	}
	reads := valueReadCalls(t, client) - before
	slices.Sort(got)
	if want := []string{"ns:a", "ns:b"}; !slices.Equal(got, want) {
		t.Errorf("ScanKeys(ns:) = %q, want %q", got, want)
	}
	if reads != 0 {
		t.Errorf("ScanKeys ran %d GET/MGET/PTTL commands, want 0", reads)
	}

	before = valueReadCalls(t, client)
	for _, err := range s.Scan(t.Context(), "ns:") {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
	}
	if reads := valueReadCalls(t, client) - before; reads == 0 {
		t.Error("Scan ran no GET/MGET/PTTL command: the count does not see value reads")
	}
}
