package conformance

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The reference store, correct, in each shape: the suite must pass it.

func TestReference(t *testing.T) {
	t.Parallel()
	Run(t, refConfig{shape: full, caps: fullCaps}.config())
}

func TestReferencePlain(t *testing.T) {
	t.Parallel()
	Run(t, refConfig{shape: plain, caps: Capabilities{TTL: true, Persistent: true, SharedHandles: true}}.config())
}

// TestReferenceMinimal declares nothing: the optional subtests skip, and
// the batch and scan subtests test the fallbacks of package kv.
func TestReferenceMinimal(t *testing.T) {
	t.Parallel()
	Run(t, refConfig{shape: plain, volatile: true}.config())
}

func TestReferenceLimits(t *testing.T) {
	t.Parallel()
	Run(t, refConfig{
		shape:    batch,
		caps:     Capabilities{TTL: true, Batch: true, MaxKeySize: 64, MaxValueSize: 1 << 10, TTLResolution: 20 * time.Millisecond},
		maxKey:   64,
		maxValue: 1 << 10,
	}.config())
}

// TestNewStoreSkips checks that a NewStore that skips (a missing server)
// skips every subtest, cleanly.
func TestNewStoreSkips(t *testing.T) {
	var calls int
	Run(t, Config{NewStore: func(t testing.TB) Opener {
		calls++
		t.Skip("no server")
		return nil
	}})
	if calls == 0 || t.Failed() {
		t.Errorf("NewStore was called %d times, and the test failed = %v", calls, t.Failed())
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		shape shape
		caps  Capabilities
		want  []string // substrings of the error; none: no error
	}{
		{name: "plain, nothing declared", shape: plain},
		{name: "full, all declared", shape: full, caps: Capabilities{Batch: true, PrefixScan: true, Conditional: true}},
		{name: "batch declared", shape: batch, caps: Capabilities{Batch: true}},
		{name: "scanner declared", shape: scanOnly, caps: Capabilities{PrefixScan: true}},
		{name: "batch undeclared", shape: batch, want: []string{"implements kv.BatchGetter, kv.BatchSetter, kv.BatchDeleter but Capabilities.Batch is not declared"}},
		{name: "getter undeclared", shape: getterOnly, want: []string{"implements kv.BatchGetter but Capabilities.Batch is not declared"}},
		{name: "batch declared, getter only", shape: getterOnly, caps: Capabilities{Batch: true},
			want: []string{"Capabilities.Batch is declared but", "does not implement kv.BatchSetter, kv.BatchDeleter"}},
		{name: "scanner undeclared", shape: scanOnly, want: []string{"implements kv.PrefixScanner but Capabilities.PrefixScan is not declared"}},
		{name: "scan declared, missing", shape: batch, caps: Capabilities{Batch: true, PrefixScan: true},
			want: []string{"Capabilities.PrefixScan is declared but", "does not implement kv.PrefixScanner"}},
		{name: "both wrong", shape: scanOnly, caps: Capabilities{Batch: true},
			want: []string{"Capabilities.Batch is declared", "Capabilities.PrefixScan is not declared"}},
		{name: "negative limit", shape: plain, caps: Capabilities{MaxKeySize: -1}, want: []string{"MaxKeySize is negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := refConfig{shape: tt.shape}.open(newLocation())
			defer s.Close()
			err := tt.caps.Check(s)
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("Check: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check: nil, want an error saying %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check: %v\nwant it to say %q", err, w)
				}
			}
		})
	}
}

// brokenEnv names the broken case TestBrokenHelper runs.
const brokenEnv = "KV_CONFORMANCE_TEST_BROKEN"

// brokenCase is a reference store broken in one way, and the subtest of Run
// that must report it.
type brokenCase struct {
	name   string
	run    string // the subtest, e.g. "TTL/Expiry"
	store  refConfig
	output string // more text the output must have, if any

	watchdog time.Duration // 0: the suite's default
}

// broken returns the full reference store with one fault.
func broken(f fault) refConfig {
	return refConfig{shape: full, caps: fullCaps, faults: []fault{f}}
}

// limited returns the reference store with declared limits and one fault.
func limited(f fault) refConfig {
	c := fullCaps
	c.MaxKeySize, c.MaxValueSize = 64, 1<<10
	return refConfig{shape: full, caps: c, faults: []fault{f}, maxKey: 64, maxValue: 1 << 10}
}

func brokenCases() []brokenCase {
	cases := []brokenCase{
		{run: "TTL/Expiry", store: broken(ignoreTTL)},
		{run: "TTL/Expiry", store: broken(keysIncludeExpired)},
		{run: "TTL/Expiry", store: broken(lenCountsExpired)},
		{run: "TTL/Negative", store: broken(negativeTTLAccepted)},
		{run: "TTL/ExpiresAtPast", store: broken(pastExpiresAtVisible)},
		{run: "TTL/Zero", store: broken(optionExpiresNow)},
		{run: "TTL/OverwriteClears", store: broken(overwriteKeepsTTL)},
		{run: "TTL/Reported", store: broken(expiresAtNotReported)},
		{run: "Basic/Miss", store: broken(missNilError)},
		{run: "Basic/Delete", store: broken(deleteAbsentErrors)},
		{run: "Values/Empty", store: broken(emptyIsMissing)},
		{run: "Values/Binary", store: broken(mangleBinary)},
		{run: "Values/Large", store: broken(truncateLarge)},
		{run: "Values/NotAliased", store: broken(aliasesInput)},
		{run: "Values/NotAliased", store: broken(aliasesOutput)},
		{run: "Keys/Odd", store: broken(caseInsensitiveKeys)},
		{run: "Keys/Odd", store: broken(escapeCollision)},
		{run: "Keys/TooLarge", store: limited(limitsIgnored)},
		{run: "Keys/TooLarge", store: limited(limitsWriteAnyway)},
		{run: "Iterate/Complete", store: broken(duplicateKeys)},
		{run: "Iterate/Break", store: broken(ignoreYieldFalse), output: "yield was called again after it returned false"},
		{run: "Iterate/Break", store: broken(lockHeldOnBreak), output: "did not return"},
		{run: "Iterate/Mutate", store: broken(lockHeldWhileYield), output: "did not return"},
		{run: "Context", store: broken(ignoreContext)},
		{run: "Context", store: broken(writeThenCtxErr)},
		{run: "Close/AfterClose", store: broken(openAfterClose)},
		{run: "Close/AfterClose", store: broken(closeTwiceErrors), output: "second Close"},
		{run: "Concurrent", store: broken(lostUpdates)},
		{run: "Random", store: broken(lenCountsExpired), output: SeedEnv + "="},
		{run: "Batch/GetMany", store: broken(getManyExpired)},
		{run: "TTL/Expiry", store: broken(getManyExpired)},
		{run: "Scan", store: broken(scanIncludesExpired)},
		{run: "TTL/Expiry", store: broken(scanIncludesExpired)},
		{run: "Batch/SetMany", store: broken(setManyNoExpiry)},
		{run: "Batch/DeleteMany", store: broken(deleteManyFirstOnly)},
		{run: "Scan", store: broken(scanLikeWildcard)},
		{run: "Persistence/ReopenTTL", store: broken(reopenDropsTTL)},
		{run: "SharedHandles/Visibility", store: broken(snapshotHandles)},
		{run: "SharedHandles/Concurrent", store: broken(lostUpdates)},
		{run: "TTL/Aging", store: broken(expiresAtRederived), output: "from the expected"},
		{run: "TTL/Aging", store: broken(ttlSlidesOnGet), output: "want an error wrapping kv.ErrNotFound"},
		{run: "TTL/Aging", store: broken(expiresEarly), output: "gone before it expired, after repeated reads"},
		{run: "Keys/Empty", store: broken(emptyKeyRefused)},
		{run: "Keys/Odd", store: broken(numericKeysMerged)},
		{run: "Keys/Odd", store: broken(longKeysCut)},
		{run: "Keys/Odd", store: broken(escapeWithoutMarker)},
		{run: "Faults/SetKeepsOld", store: broken(faultSwallowed)},
		{run: "Faults/SetKeepsOld", store: broken(faultWritesAnyway)},
		{run: "Faults/IterationStops", store: broken(faultIterationGoesOn)},
		{run: "Faults/GetManyReports", store: broken(getManyFaultMissing)},
		{run: "Keys/TooLarge", store: limited(setManyChecksFirst), output: "in the middle"},
		{run: "TTL/Reported", store: broken(expiresAtLate), output: "from the expected"},
		{run: "Iterate/Complete", store: broken(iterateIgnoresCancel), output: "cancelled after the first item"},
		{run: "Close/AfterClose", store: broken(emptyBatchUnchecked), output: "of no keys after Close"},
		{run: "Context", store: broken(emptyBatchUnchecked), output: "of no entries with a cancelled context"},

		{run: "ReadOnly", store: broken(readOnlyWrites), output: "Set of a present key on a read-only store"},
		{run: "ReadOnly", store: broken(readOnlyDeletes), output: "CompareAndDelete on a read-only store"},

		{run: "Damaged/flipped-byte", store: broken(damageUnchecked), output: "Get of the damaged entry"},
		{run: "Damaged/flipped-byte", store: broken(damageReadsMissing), output: "want an error wrapping kv.ErrCorrupt"},
		{run: "Unopenable", store: broken(unopenableOpens), output: "no error"},
		{run: "Unopenable", store: broken(unopenableLeaves), output: "a failed Open changed the location"},
		{run: "ContextDuring", store: broken(cancelTearsWrite), output: "is torn"},
		{run: "Faults/DeleteReports", store: broken(deleteFaultSwallowed)},
		{run: "Faults/ConcurrentSets", store: broken(faultReportedOnce)},

		{run: "Conditional/Counter", store: broken(casGetThenSet)},
		{run: "Conditional/SharedHandles", store: broken(casGetThenSet)},
		{run: "Conditional/SetIfAbsent", store: broken(setIfAbsentSeesExpired)},
		{run: "Conditional/CompareAndSwap", store: broken(casSwapsAbsent)},
		{run: "Conditional/Race", store: broken(setIfAbsentHasThenSet)},
		{name: "undeclared-conditional", run: "Capabilities", store: refConfig{shape: full, caps: Capabilities{Batch: true, PrefixScan: true}}},

		{run: "Basic/GetSet", store: broken(getHangs), watchdog: 500 * time.Millisecond, output: "watchdog: subtest still running"},

		{name: "not-persistent", run: "Persistence/Reopen", store: refConfig{shape: full, caps: fullCaps, volatile: true}},
		{name: "one-location", run: "Basic/Isolation", store: refConfig{shape: full, caps: fullCaps, oneLoc: true}},
		{name: "undeclared-getter", run: "Capabilities", store: refConfig{shape: getterOnly}},
		{name: "partial-batch", run: "Capabilities", store: refConfig{shape: getterOnly, caps: Capabilities{Batch: true}}},
		{name: "undeclared-scanner", run: "Capabilities", store: refConfig{shape: full, caps: Capabilities{Batch: true}}},
		{name: "missing-scanner", run: "Capabilities", store: refConfig{shape: batch, caps: Capabilities{Batch: true, PrefixScan: true}}},
	}
	if raceEnabled {
		cases = append(cases, brokenCase{run: "Close/WhileBusy", store: broken(closeRaces), output: "DATA RACE"})
	}
	for i, c := range cases {
		if c.name == "" {
			cases[i].name = string(c.store.faults[0]) + "@" + strings.ReplaceAll(c.run, "/", ".")
		}
	}
	return cases
}

// TestBroken runs Run on each broken reference store, in a child process so
// that its failures do not fail this test, narrowed to the subtest that
// must report the fault, and checks that the subtest failed.
func TestBroken(t *testing.T) {
	if os.Getenv(brokenEnv) != "" {
		t.Skip("inside a child process")
	}
	seen := make(map[string]bool)
	for _, c := range brokenCases() {
		if seen[c.name] {
			t.Fatalf("two broken cases are named %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			pattern := "^TestBrokenHelper$/^" + strings.ReplaceAll(c.run, "/", "$/^") + "$"
			cmd := exec.CommandContext(t.Context(), os.Args[0],
				"-test.run="+pattern, "-test.count=1", "-test.timeout=2m")
			cmd.Env = append(os.Environ(), brokenEnv+"="+c.name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the child process: %v, want a failure exit; its output:\n%s", err, out)
			}
			wantLine := "--- FAIL: TestBrokenHelper/" + c.run + " "
			if !strings.Contains(string(out), wantLine) {
				t.Errorf("the output has no %q; the output:\n%s", wantLine, out)
			}
			if c.output != "" && !strings.Contains(string(out), c.output) {
				t.Errorf("the output does not say %q; the output:\n%s", c.output, out)
			}
			if strings.Contains(string(out), "panic:") {
				t.Errorf("the suite panicked instead of failing; the output:\n%s", out)
			}
		})
	}
}

// TestBrokenHelper runs Run on the broken case named by brokenEnv. Only
// TestBroken runs it, in a child process.
func TestBrokenHelper(t *testing.T) {
	name := os.Getenv(brokenEnv)
	if name == "" {
		t.Skip("run by TestBroken in a child process")
	}
	for _, c := range brokenCases() {
		if c.name == name {
			cfg := c.store.config()
			cfg.Watchdog = c.watchdog
			Run(t, cfg)
			return
		}
	}
	t.Fatalf("no broken case %q", name)
}

func BenchmarkReference(b *testing.B) {
	Benchmark(b, refConfig{shape: full, caps: fullCaps}.config())
}

func BenchmarkReferencePlain(b *testing.B) {
	Benchmark(b, refConfig{shape: plain, caps: Capabilities{TTL: true}}.config())
}
