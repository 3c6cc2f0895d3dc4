// Package bench holds the side-by-side benchmarks of kv: every store
// against the raw driver it wraps, against the peer libraries that do the
// same job (gokv, gregjones/httpcache, golang-lru), the value codecs, the
// HTTP cache paths, and how costs grow with the number of entries and the
// value size.
//
// It is a module of its own, so the peers never enter the library's
// go.mod. The benchmarks are named key=value so that benchstat can put the
// implementations side by side, e.g.
//
//	BenchmarkStore/store=redis/impl=raw/op=Get
//	BenchmarkStore/store=redis/impl=kv/op=Get
//	BenchmarkStore/store=redis/impl=gokv/op=Get
//
// compared with
//
//	benchstat -col '/impl@(raw kv gokv)' out.txt
//
// The script run in this directory runs the whole comparison with the test
// servers up and writes its report and raw output to results/run/;
// RESULTS.md is the record kept by hand from such runs and from separate
// measurements (their raw files are in results/). Server benchmarks find
// their servers through the variables the tests use (KV_TEST_REDIS_ADDR,
// KV_TEST_MONGO_URI, KV_TEST_DYNAMODB_ENDPOINT) and skip when one is
// missing.
package bench
