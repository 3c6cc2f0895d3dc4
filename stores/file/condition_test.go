//go:build unix

package file

import "testing"

func TestConditionHolds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		c     condition
		value []byte
		found bool
		want  bool
	}{
		{"absent wanted, none", condition{absent: true}, nil, false, true},
		{"absent wanted, present", condition{absent: true}, []byte("v"), true, false},
		{"absent wanted, present empty", condition{absent: true}, nil, true, false},
		{"old wanted, none", condition{old: []byte("v")}, nil, false, false},
		{"nil old wanted, none", condition{}, nil, false, false},
		{"old wanted, equal", condition{old: []byte("v")}, []byte("v"), true, true},
		{"old wanted, differs", condition{old: []byte("v")}, []byte("w"), true, false},
		{"old wanted, longer", condition{old: []byte("v")}, []byte("vv"), true, false},
		{"nil old, empty value", condition{}, []byte{}, true, true},
		{"empty old, nil value", condition{old: []byte{}}, nil, true, true},
	} {
		if got := tc.c.holds(tc.value, tc.found); got != tc.want {
			t.Errorf("%s: holds = %v, want %v", tc.name, got, tc.want)
		}
	}
}
