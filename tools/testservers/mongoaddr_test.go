package main

import (
	"os"
	"reflect"
	"testing"
)

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

func TestParseMongoTLS(t *testing.T) {
	dir := t.TempDir()
	pem := dir + "/x.pem"
	if err := os.WriteFile(pem, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		v    string
		want *mongoTLS
		ok   bool
	}{
		{"", nil, true},
		{"127.0.0.1:27018," + pem + "," + pem, &mongoTLS{addr: "127.0.0.1:27018", cert: pem, key: pem}, true},
		{"127.0.0.1:27018," + pem + "," + pem + "," + pem, &mongoTLS{addr: "127.0.0.1:27018", cert: pem, key: pem, ca: pem}, true},
		{"127.0.0.1:27018," + pem, nil, false},                                     // no key
		{"0.0.0.0:27018," + pem + "," + pem, nil, false},                           // not loopback
		{"127.0.0.1:27018," + pem + "," + dir + "/missing.pem", nil, false},        // no such file
		{"127.0.0.1:27018," + pem + "," + pem + "," + pem + "," + pem, nil, false}, // too many parts
	} {
		got, err := parseMongoTLS(c.v)
		if (err == nil) != c.ok {
			t.Errorf("parseMongoTLS(%q) error = %v, want ok %v", c.v, err, c.ok)
			continue
		}
		if c.ok && !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseMongoTLS(%q) = %+v, want %+v", c.v, got, c.want)
		}
	}
}
