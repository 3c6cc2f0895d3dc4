package kv

import "iter"

// Collect runs seq to its end and returns what it yielded, or the first
// error it yielded.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ErrorSeq returns a sequence that yields err once (with the zero T) and
// ends. Stores return it from Keys and All when they cannot start, for
// example after Close. It is for implementers of Store (see
// "Implementing a Store" in the package doc).
func ErrorSeq[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}

// MapSeq returns a sequence that yields f of each value of seq. An error
// from seq or from f is yielded and ends the sequence; values for which f
// returns skip=true are left out.
func MapSeq[T, U any](seq iter.Seq2[T, error], f func(T) (u U, skip bool, err error)) iter.Seq2[U, error] {
	return func(yield func(U, error) bool) {
		var zero U
		for v, err := range seq {
			if err != nil {
				yield(zero, err)
				return
			}
			u, skip, err := f(v)
			if err != nil {
				yield(zero, err)
				return
			}
			if skip {
				continue
			}
			if !yield(u, nil) {
				return
			}
		}
	}
}
