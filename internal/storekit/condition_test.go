package storekit_test

import (
	"testing"

	"github.com/kvkit/kv/internal/storekit"
)

func TestConditionHolds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		c     storekit.Condition
		value []byte
		found bool
		want  bool
	}{
		{"absent wanted, none", storekit.IfAbsent(), nil, false, true},
		{"absent wanted, present", storekit.IfAbsent(), []byte("v"), true, false},
		{"absent wanted, present empty", storekit.IfAbsent(), nil, true, false},
		{"old wanted, none", storekit.IfEqual([]byte("v")), nil, false, false},
		{"nil old wanted, none", storekit.Condition{}, nil, false, false},
		{"old wanted, equal", storekit.IfEqual([]byte("v")), []byte("v"), true, true},
		{"old wanted, differs", storekit.IfEqual([]byte("v")), []byte("w"), true, false},
		{"old wanted, longer", storekit.IfEqual([]byte("v")), []byte("vv"), true, false},
		{"nil old, empty value", storekit.Condition{}, []byte{}, true, true},
		{"empty old, nil value", storekit.IfEqual([]byte{}), nil, true, true},
	} {
		if got := tc.c.Holds(tc.value, tc.found); got != tc.want {
			t.Errorf("%s: holds = %v, want %v", tc.name, got, tc.want)
		}
	}
}
