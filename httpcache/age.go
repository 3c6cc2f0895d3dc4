package httpcache

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxDeltaSeconds caps delta-seconds, as RFC 9111 1.2.2 allows.
const maxDeltaSeconds = 1 << 31

// ageValue returns the Age of a response header (RFC 9111 5.1), and
// false when there is none to use. A list (in one field line or over
// several) counts by its first member; a first member that is not a
// non-negative integer is ignored, as the RFC asks, so that it never
// reads as younger than the rest of the list could make it.
func ageValue(h http.Header) (time.Duration, bool) {
	lines := h["Age"]
	if len(lines) == 0 {
		return 0, false
	}
	first, _, _ := strings.Cut(lines[0], ",")
	first = strings.TrimSpace(first)
	if first == "" || strings.Trim(first, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(first, 10, 64)
	if err != nil || n > maxDeltaSeconds {
		n = maxDeltaSeconds // only ErrRange is left: all digits
	}
	return time.Duration(n) * time.Second, true
}
