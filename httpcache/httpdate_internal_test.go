package httpcache

import (
	"net/http"
	"regexp"
	"testing"
	"time"
)

func TestParseHTTPDate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	want := time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)
	cases := []struct {
		in string
		ok bool
		at time.Time // want when zero
	}{
		{in: "Sun, 06 Nov 1994 08:49:37 GMT", ok: true},                                                    // IMF-fixdate (RFC 9110 5.6.7)
		{in: "Sun, 06 Nov 1994 08:49:37 gmt", ok: true},                                                    // zone name case-insensitive
		{in: "Sunday, 06-Nov-94 08:49:37 GMT", ok: true},                                                   // obsolete RFC 850
		{in: "Sun Nov  6 08:49:37 1994", ok: true},                                                         // obsolete asctime, space-padded day
		{in: "Sun Nov 06 08:49:37 1994", ok: true},                                                         // asctime, two-digit day
		{in: "Monday, 01-Jan-75 00:00:00 GMT", ok: true, at: time.Date(2075, 1, 1, 0, 0, 0, 0, time.UTC)},  // within 50 years ahead
		{in: "Tuesday, 01-Jan-80 00:00:00 GMT", ok: true, at: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}, // more than 50 years ahead: past century
		{in: "Sun, 06 Nov 1994  08:49:37 GMT"},                                                             // two spaces
		{in: "Sun,  06 Nov 1994 08:49:37 GMT"},
		{in: "Sun, 06 Nov 1994 8:49:37 GMT"}, // one-digit hour
		{in: "Sun, 6 Nov 1994 08:49:37 GMT"}, // one-digit day
		{in: "Sun, 06 Nov 1994 08:49:37 UTC"},
		{in: "Sun, 06 Nov 1994 08:49:37 +0000"},
		{in: "Sun, 06 Nov 1994 25:49:37 GMT"},
		{in: "Sun, 31 Feb 1994 08:49:37 GMT"},
		{in: "Sun Nov 6 08:49:37 1994"}, // asctime day not padded
		{in: "0"},
		{in: ""},
	}
	for _, c := range cases {
		got, ok := parseHTTPDate(c.in, now)
		if ok != c.ok {
			t.Errorf("%q: ok %v, want %v", c.in, ok, c.ok)
			continue
		}
		w := want
		if !c.at.IsZero() {
			w = c.at
		}
		if ok && !got.Equal(w) {
			t.Errorf("%q: %v, want %v", c.in, got, w)
		}
	}
}

func TestHeaderDateSingleton(t *testing.T) {
	now := time.Now()
	d := "Sun, 06 Nov 1994 08:49:37 GMT"
	if _, ok := headerDate(http.Header{"Expires": {d}}, "Expires", now); !ok {
		t.Error("one field line: invalid")
	}
	if _, ok := headerDate(http.Header{"Expires": {d, d}}, "Expires", now); ok {
		t.Error("two field lines: valid, want invalid (RFC 9111 5.3)")
	}
}

func TestAgeValue(t *testing.T) {
	cases := []struct {
		lines []string
		want  time.Duration
		ok    bool
	}{
		{nil, 0, false},
		{[]string{"60"}, time.Minute, true},
		{[]string{"7200, 0"}, 2 * time.Hour, true},                              // list: first member (RFC 9111 5.1)
		{[]string{"7200", "0"}, 2 * time.Hour, true},                            // two field lines: first
		{[]string{"0", "7200"}, 0, true},                                        // first, even when younger
		{[]string{"-5"}, 0, false},                                              // invalid: ignored
		{[]string{"1.5"}, 0, false},                                             // invalid: ignored
		{[]string{"abc"}, 0, false},                                             // invalid: ignored
		{[]string{""}, 0, false},                                                // empty: ignored
		{[]string{"99999999999999999999"}, maxDeltaSeconds * time.Second, true}, // capped (RFC 9111 1.2.2)
	}
	for _, c := range cases {
		got, ok := ageValue(http.Header{"Age": c.lines})
		if got != c.want || ok != c.ok {
			t.Errorf("Age %q: %v %v, want %v %v", c.lines, got, ok, c.want, c.ok)
		}
	}
}

// TestIsIMFFixdateShape holds the byte-by-byte check to the grammar of
// RFC 9110 5.6.7, written as the regexp it replaced: every string made
// from valid dates by changing, dropping or adding one byte gets the same
// answer from both.
func TestIsIMFFixdateShape(t *testing.T) {
	grammar := regexp.MustCompile(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} (?i:GMT)$`)
	valid := []string{"Sun, 06 Nov 1994 08:49:37 GMT", "Wed, 31 Dec 2025 23:59:59 gmt", "Sat, 99 Feb 0000 99:99:99 GmT"}
	alphabet := "0123456789 ,:-aAgGmMtTzZ\x00\xff"
	var inputs []string
	for _, v := range valid {
		inputs = append(inputs, v, v[1:], v[:len(v)-1], v+" ", " "+v)
		for i := range len(v) {
			for _, c := range []byte(alphabet) {
				inputs = append(inputs, v[:i]+string(c)+v[i+1:])
			}
		}
	}
	matched := 0
	for _, s := range inputs {
		want := grammar.MatchString(s)
		if got := isIMFFixdate(s); got != want {
			t.Errorf("isIMFFixdate(%q) = %v, the grammar says %v", s, got, want)
		}
		if want {
			matched++
		}
	}
	if matched < len(valid) {
		t.Fatalf("only %d of %d inputs match: the corpus lost its valid dates", matched, len(inputs))
	}
}
