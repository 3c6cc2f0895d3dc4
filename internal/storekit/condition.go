package storekit

import "bytes"

// Condition is what a conditional write of a byte store (a
// kv.ConditionalWriter that checks, then writes, under its own lock or
// transaction) needs of the live entry.
type Condition struct {
	Absent bool   // the key must be absent (SetIfAbsent)
	Old    []byte // else the key must be present with this value
}

// IfAbsent is the condition of SetIfAbsent.
func IfAbsent() Condition { return Condition{Absent: true} }

// IfEqual is the condition of CompareAndSwap and CompareAndDelete.
func IfEqual(old []byte) Condition { return Condition{Old: old} }

// Holds reports whether the condition holds for the live entry holding
// value, found false when there is none (absent or expired). Values are
// compared byte for byte; nil and empty are equal.
func (c Condition) Holds(value []byte, found bool) bool {
	if c.Absent {
		return !found
	}
	return found && bytes.Equal(value, c.Old)
}
