package httpcache

import (
	"net/http"
	"regexp"
	"strings"
	"time"
)

// HTTP-date (RFC 9110 5.6.7): the preferred IMF-fixdate and the two
// obsolete forms a recipient must accept. time.Parse alone is lenient
// (runs of spaces match one, hours take one digit), so each form's exact
// shape is checked first; the zone name is matched case-insensitively.
// IMF-fixdate, the form origins send (every Date, Expires and
// Last-Modified a cache reads), is checked byte by byte (isIMFFixdate: a
// regexp there cost about 3 % of a revalidation); the obsolete forms by
// regexp.
var (
	rfc850Date  = regexp.MustCompile(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), [0-9]{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} (?i:GMT)$`)
	asctimeDate = regexp.MustCompile(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?:[0-9]{2}| [0-9]) [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}$`)
)

// parseHTTPDate parses an HTTP-date strictly (RFC 9110 5.6.7), and
// reports false for anything else. now places an RFC 850 two-digit year:
// one more than 50 years ahead of now is the most recent past year with
// those digits.
func parseHTTPDate(s string, now time.Time) (time.Time, bool) {
	var layout string
	switch {
	case isIMFFixdate(s):
		layout = http.TimeFormat
	case rfc850Date.MatchString(s):
		layout = time.RFC850
	case asctimeDate.MatchString(s):
		layout = time.ANSIC
	default:
		return time.Time{}, false
	}
	if layout != time.ANSIC {
		s = s[:len(s)-3] + "GMT"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false
	}
	t = t.UTC()
	if layout == time.RFC850 {
		t = placeTwoDigitYear(t, now)
	}
	return t, true
}

// placeTwoDigitYear moves t, whose year had two digits, to the century
// RFC 9110 5.6.7 asks for: never more than 50 years after now.
func placeTwoDigitYear(t, now time.Time) time.Time {
	century := now.Year() / 100 * 100
	t = t.AddDate(century+t.Year()%100-t.Year(), 0, 0)
	for t.After(now.AddDate(50, 0, 0)) {
		t = t.AddDate(-100, 0, 0)
	}
	for t.Before(now.AddDate(-50, 0, 0)) && t.AddDate(100, 0, 0).Before(now.AddDate(50, 0, 0)) {
		t = t.AddDate(100, 0, 0)
	}
	return t
}

// headerDate parses the one field line of the date field name in h; a
// field repeated over several lines is invalid (a singleton field).
func headerDate(h http.Header, name string, now time.Time) (time.Time, bool) {
	v := h[name]
	if len(v) != 1 {
		return time.Time{}, false
	}
	return parseHTTPDate(strings.TrimSpace(v[0]), now)
}

// isIMFFixdate reports whether s has the exact shape of an IMF-fixdate,
// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7), the zone name in any
// case. Ranges (day of month, hour) are left to time.Parse.
func isIMFFixdate(s string) bool {
	const shape = "Www, 00 Mmm 0000 00:00:00 GMT"
	if len(s) != len(shape) || !oneOf(s[0:3], "MonTueWedThuFriSatSun") ||
		!oneOf(s[8:11], "JanFebMarAprMayJunJulAugSepOctNovDec") || !strings.EqualFold(s[26:], "GMT") {
		return false
	}
	for i := 3; i < 26; i++ {
		if c := shape[i]; c == '0' && (s[i] < '0' || s[i] > '9') || c != '0' && c != 'M' && c != 'm' && s[i] != c {
			return false
		}
	}
	return true
}

// oneOf reports whether the three bytes of w are one of the three-byte
// words run together in words.
func oneOf(w, words string) bool {
	for i := 0; i+3 <= len(words); i += 3 {
		if words[i:i+3] == w {
			return true
		}
	}
	return false
}
