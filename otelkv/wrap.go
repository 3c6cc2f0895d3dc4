package otelkv

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/kvkit/kv"
	"go.opentelemetry.io/otel"
)

// Wrap returns a store that does what s does and records each call: a
// span, its duration, its error kind and the bytes of the values it moved
// (see the package doc for the names). The store has exactly the optional
// capabilities of s (kv.BatchGetter, kv.BatchSetter, kv.BatchDeleter,
// kv.PrefixScanner, kv.KeyScanner, kv.ConditionalWriter), each
// instrumented too.
//
// The caller keeps s: closing the returned store does not close s (close
// only what you opened). After its Close, the returned store's methods
// return an error wrapping kv.ErrClosed, and s is still open.
//
// Wrap panics when a WithValueSize option is for another value type than V.
func Wrap[K comparable, V any](s kv.Store[K, V], opts ...Option) kv.Store[K, V] {
	c := config{meters: otel.GetMeterProvider(), tracers: otel.GetTracerProvider()}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.backend == "" {
		c.backend = backendName(s)
	}
	w := &store[K, V]{inner: s, t: newTelemetry(c), size: sizeFunc[V](c.size)}
	w.getter, _ = s.(kv.BatchGetter[K, V])
	w.setter, _ = s.(kv.BatchSetter[K, V])
	w.deleter, _ = s.(kv.BatchDeleter[K])
	w.scanner, _ = s.(kv.PrefixScanner[V])
	w.keys, _ = s.(kv.KeyScanner)
	w.cond, _ = s.(kv.ConditionalWriter[K, V])
	return withCapabilities(w)
}

// backendName names the backend of s after the last element of its
// type's package path: "memory" for *memory.Store[K, V].
func backendName(s any) string {
	t := reflect.TypeOf(s)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.PkgPath() == "" {
		return "kv"
	}
	p := t.PkgPath()
	return p[strings.LastIndexByte(p, '/')+1:]
}

// sizeFunc returns how to measure a value of type V: the function of a
// WithValueSize option, len for []byte and string, or nil (no measure).
func sizeFunc[V any](option any) func(V) int {
	if option != nil {
		f, ok := option.(func(V) int)
		if !ok {
			panic(fmt.Sprintf("otelkv: WithValueSize takes a %T, but the store's values are %v", option, reflect.TypeFor[V]()))
		}
		return f
	}
	// For these types the assertion is of a func([]byte) int (or
	// func(string) int) to itself, so measuring a value costs no
	// conversion to an interface.
	if f, ok := any(func(b []byte) int { return len(b) }).(func(V) int); ok {
		return f
	}
	if f, ok := any(func(s string) int { return len(s) }).(func(V) int); ok {
		return f
	}
	return nil
}
