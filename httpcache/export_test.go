package httpcache

// Followers is, for tests, how many requests wait for an identical one
// in flight in t.
func Followers(t *Transport) int {
	t.flight.mu.Lock()
	defer t.flight.mu.Unlock()
	n := 0
	for _, c := range t.flight.calls {
		n += int(c.followers.Load())
	}
	return n
}
