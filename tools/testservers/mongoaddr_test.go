package main

import "testing"

func TestCheckLoopback(t *testing.T) {
	for _, c := range []struct {
		addr string
		ok   bool
	}{
		{"", true},
		{"127.0.0.1:27017", true},
		{"[::1]:27017", true},
		{"0.0.0.0:27017", false},
		{"192.168.1.2:27017", false},
		{"localhost:27017", false},
		{"127.0.0.1", false},
		{"127.0.0.1:0", false},
		{"127.0.0.1:99999", false},
	} {
		if err := checkLoopback(c.addr); (err == nil) != c.ok {
			t.Errorf("checkLoopback(%q) = %v, want ok %v", c.addr, err, c.ok)
		}
	}
}
