package main

import (
	"net/http"
	"sync"

	"github.com/kvkit/kv/httpcache"
)

// hops is an http.RoundTripper that records how the cache served each hop
// of a request an http.Client follows through redirects, so that the
// command labels the request by all its hops, not only the last.
type hops struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []httpcache.Status
}

func (h *hops) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.next.RoundTrip(req)
	if err == nil {
		h.mu.Lock()
		h.seen = append(h.seen, httpcache.CacheStatus(resp))
		h.mu.Unlock()
	}
	return resp, err
}

// take returns the statuses recorded since the last take, and forgets
// them.
func (h *hops) take() []httpcache.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.seen
	h.seen = nil
	return s
}

// served is how a request was served, given how each of its hops was (in
// order): a hit only when every hop was; otherwise the first hop that was
// not, since that one reached the origin or served stale.
func served(hops []httpcache.Status) httpcache.Status {
	for _, s := range hops {
		if s != httpcache.Hit {
			return s
		}
	}
	if len(hops) == 0 {
		return ""
	}
	return httpcache.Hit
}
