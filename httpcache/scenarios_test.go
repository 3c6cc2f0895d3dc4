package httpcache_test

import "testing"

type scenario struct {
	name string
	run  func(t *testing.T, b backend)
}

// scenarios run over every backend: here over memory, in
// integration_test.go over the others.
var scenarios = []scenario{
	{"Steps", testSteps},
	{"Age", testAge},
	{"Vary", testVary},
	{"VaryStar", testVaryStar},
	{"VaryNormalized", testVaryNormalized},
	{"MatchHeaders", testMatchHeaders},
	{"RevalidationMergesHeaders", testRevalidationMergesHeaders},
	{"RevalidationLastModified", testRevalidationLastModified},
	{"StaleIfError", testStaleIfError},
	{"StaleWhileRevalidate", testStaleWhileRevalidate},
	{"CloseStopsRevalidation", testCloseStopsRevalidation},
	{"Invalidation", testInvalidation},
	{"Redirects", testRedirects},
	{"ConcurrentMisses", testConcurrentMisses},
	{"MaxBodySize", testMaxBodySize},
	{"StreamsPassThrough", testStreamsPassThrough},
	{"Keys", testKeys},
	{"CredentialsRedacted", testCredentialsRedacted},
	{"KeyFunc", testKeyFunc},
	{"BodyKey", testBodyKey},
	{"FilterOnRead", testFilterOnRead},
	{"Maintenance", testMaintenance},
	{"KeepStale", testKeepStale},
	{"StoreErrors", testStoreErrors},
	{"CacheStatus", testCacheStatus},
	{"CacheStatusOptions", testCacheStatusOptions},
	{"HeadFreshening", testHeadFreshening},
	{"HeadInvalidates", testHeadInvalidates},
	{"HeadRevalidatesGet", testHeadRevalidatesGet},
	{"PostContentLocation", testPostContentLocation},
	{"Range", testRange},
	{"RangeParts", testRangeParts},
	{"MustRevalidateDisconnected", testMustRevalidateDisconnected},
}

func runScenarios(t *testing.T, b backend) {
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) { s.run(t, b) })
	}
}

func TestMemory(t *testing.T)     { runScenarios(t, memoryBackend) }
func TestMemoryCBOR(t *testing.T) { runScenarios(t, memoryBytesBackend) }
