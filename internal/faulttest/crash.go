package faulttest

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// Environment of the writer process started by RunCrash.
const (
	envCrashDir  = "KV_FAULTTEST_CRASH_DIR"
	envCrashKeys = "KV_FAULTTEST_CRASH_KEYS"
	envCrashSeed = "KV_FAULTTEST_CRASH_SEED"
	envCrashGo   = "KV_FAULTTEST_CRASH_WRITERS"
)

// OpenFunc opens the store kept at path (a directory or a file).
type OpenFunc func(path string) (kv.Store[string, []byte], error)

// CrashConfig says how RunCrash runs.
type CrashConfig struct {
	// Open opens the store at a path; the same path every round.
	Open OpenFunc
	// Path is where the store lives.
	Path string
	// HelperTest is the name of the test function that calls CrashWriter
	// with the same Open; RunCrash re-executes the test binary to run it.
	HelperTest string
	// Rounds is how many writer processes are started and killed.
	Rounds int
	// Keys is how many keys the writer overwrites in turn.
	Keys int
	// Writers is how many goroutines of the writer process write at once
	// (1 when 0), each its own share of the keys (key i to goroutine
	// i mod Writers), so that each key's generations still follow one
	// another.
	Writers int
	// MaxKill is the longest a writer runs before it is killed (a random
	// moment between 0 and MaxKill after it reported it was ready).
	MaxKill time.Duration
}

// CrashStats counts what RunCrash saw.
type CrashStats struct {
	Rounds      int // writer processes killed with SIGKILL
	Acked       int // Sets the writers reported as returned
	Checked     int // entries read back and verified
	Absent      int // keys absent when checked (never acknowledged)
	Unacked     int // entries holding a write whose Set had not reported back
	Torn        int // values that did not verify (must be 0)
	Lost        int // acknowledged writes missing after the kill (must be 0)
	OpenFailed  int // reopens that failed (must be 0)
	IterErrors  int // errors yielded by All after a kill (must be 0)
	KilledAfter []time.Duration
}

func (s CrashStats) String() string {
	return fmt.Sprintf("rounds=%d acked-sets=%d entries-checked=%d absent=%d newer-than-ack=%d torn=%d lost=%d open-failures=%d iteration-errors=%d",
		s.Rounds, s.Acked, s.Checked, s.Absent, s.Unacked, s.Torn, s.Lost, s.OpenFailed, s.IterErrors)
}

func crashKey(i int) string { return fmt.Sprintf("crash/key-%03d", i) }

// RunCrash starts a writer process (the test binary running
// cfg.HelperTest) that overwrites cfg.Keys keys with self-verifying values
// in a loop, kills it with SIGKILL at a random moment, reopens the store
// and checks every entry: absent only if never acknowledged, otherwise
// verifying (never torn) and at least as new as the last write the writer
// acknowledged. It repeats for cfg.Rounds rounds and fails t on any torn
// or lost entry, or a store that does not reopen.
func RunCrash(t *testing.T, cfg CrashConfig) CrashStats {
	t.Helper()
	if cfg.MaxKill <= 0 {
		cfg.MaxKill = 500 * time.Millisecond
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	known := make(map[string]int) // newest generation seen or acknowledged
	var st CrashStats
	for round := range cfg.Rounds {
		acks, after := runWriter(t, cfg, round, rng)
		st.Rounds++
		st.KilledAfter = append(st.KilledAfter, after)
		for k, g := range acks {
			st.Acked += g.count
			if g.gen > known[k] {
				known[k] = g.gen
			}
		}
		s, err := cfg.Open(cfg.Path)
		if err != nil {
			st.OpenFailed++
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		checkRound(t, s, cfg.Keys, round, known, acks, &st)
		if err := s.Close(); err != nil {
			t.Errorf("round %d: close: %v", round, err)
		}
	}
	return st
}

// checkRound reads back every key of a round from s, the store reopened
// after the kill, and counts what it finds in st; known is the newest
// generation seen or acknowledged per key, acks the round's own.
func checkRound(t *testing.T, s kv.Store[string, []byte], keys, round int, known map[string]int, acks map[string]ack, st *CrashStats) {
	t.Helper()
	ctx := context.Background()
	for i := range keys {
		k := crashKey(i)
		v, err := s.Get(ctx, k)
		switch {
		case errors.Is(err, kv.ErrNotFound):
			if known[k] > 0 {
				st.Lost++
				t.Errorf("round %d: %s absent, but generation %d was acknowledged", round, k, known[k])
			}
			st.Absent++
			continue
		case err != nil:
			st.Torn++
			t.Errorf("round %d: get %s: %v", round, k, err)
			continue
		}
		st.Checked++
		checkGeneration(t, k, v, round, known, acks[k], st)
	}
	for _, err := range s.All(ctx) {
		if err != nil {
			st.IterErrors++
			t.Errorf("round %d: All after SIGKILL: %v", round, err)
		}
	}
}

// checkGeneration checks the value v read back for key k: it verifies,
// and its generation is no older than the newest acknowledged and at most
// one write ahead of the round's last acknowledgement a.
func checkGeneration(t *testing.T, k string, v []byte, round int, known map[string]int, a ack, st *CrashStats) {
	t.Helper()
	gen, err := Check(k, v)
	if err != nil {
		st.Torn++
		t.Errorf("round %d: %s: %v", round, k, err)
		return
	}
	switch {
	case gen < known[k]:
		st.Lost++
		t.Errorf("round %d: %s holds generation %d, but %d was acknowledged", round, k, gen, known[k])
	case gen > a.gen && a.gen > 0 && gen != a.gen+1:
		t.Errorf("round %d: %s holds generation %d, acknowledged %d: more than one write ahead", round, k, gen, a.gen)
	case gen > known[k]:
		st.Unacked++
		known[k] = gen
	}
}

type ack struct{ gen, count int }

// runWriter runs one writer process until it is killed, and returns the
// last generation it acknowledged per key.
func runWriter(t *testing.T, cfg CrashConfig, round int, rng *rand.Rand) (map[string]ack, time.Duration) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^"+cfg.HelperTest+"$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		envCrashDir+"="+cfg.Path,
		envCrashKeys+"="+strconv.Itoa(cfg.Keys),
		envCrashSeed+"="+strconv.Itoa(round*1_000_000),
		envCrashGo+"="+strconv.Itoa(max(cfg.Writers, 1)),
	)
	cmd.ExtraFiles = []*os.File{w} // fd 3 in the writer
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()

	ready := make(chan struct{})
	acks := make(map[string]ack)
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		first := true
		for sc.Scan() {
			line := sc.Text()
			if first {
				first = false
				if line == "ready" {
					close(ready)
					continue
				}
			}
			k, g, ok := strings.Cut(line, " ")
			gen, err := strconv.Atoi(g)
			if !ok || err != nil {
				continue // a line cut short by the kill
			}
			mu.Lock()
			a := acks[k]
			acks[k] = ack{gen: gen, count: a.count + 1}
			mu.Unlock()
		}
	}()
	select {
	case <-ready:
	case <-done:
		cmd.Wait()
		t.Fatalf("round %d: writer ended before it was ready:\n%s", round, stderr.String())
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("round %d: writer not ready after 20s:\n%s", round, stderr.String())
	}
	after := time.Duration(rng.Int64N(int64(cfg.MaxKill)))
	time.Sleep(after)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("round %d: kill: %v", round, err)
	}
	err = cmd.Wait()
	<-done
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: writer did not die of SIGKILL (%v):\n%s", round, err, stderr.String())
	}
	return acks, after
}

// CrashWriter is the body of the helper test that RunCrash runs in a
// writer process. Outside such a process it skips. It opens the store,
// reports "ready" on file descriptor 3, then, in each of the configured
// goroutines, overwrites its keys with values of 1 to 64 KiB (generation
// after generation) and reports each Set that returned ("key gen"),
// until it is killed.
func CrashWriter(t *testing.T, open OpenFunc) {
	path := os.Getenv(envCrashDir)
	if path == "" {
		t.Skip("run by RunCrash in a writer process")
	}
	keys, _ := strconv.Atoi(os.Getenv(envCrashKeys))
	base, _ := strconv.Atoi(os.Getenv(envCrashSeed))
	writers, _ := strconv.Atoi(os.Getenv(envCrashGo))
	out := &ackWriter{f: os.NewFile(3, "acks")}
	s, err := open(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "open: %v\n", err)
		os.Exit(2)
	}
	// Go on from the generations already stored, so that every write is
	// newer than what a check may have seen.
	ctx := context.Background()
	gen := base
	for i := range keys {
		if v, err := s.Get(ctx, crashKey(i)); err == nil {
			if g, err := Check(crashKey(i), v); err == nil && g > gen {
				gen = g
			}
		}
	}
	out.line("ready")
	for w := range max(writers, 1) {
		go crashLoop(ctx, s, out, w, max(writers, 1), keys, gen, base)
	}
	select {} // until killed
}

// crashLoop is one goroutine of CrashWriter: it overwrites keys w,
// w+writers, ... generation after generation from gen+1.
func crashLoop(ctx context.Context, s kv.Store[string, []byte], out *ackWriter, w, writers, keys, gen, base int) {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(base))
	binary.LittleEndian.PutUint64(seed[8:], uint64(os.Getpid()))
	binary.LittleEndian.PutUint64(seed[16:], uint64(w))
	rng := rand.NewChaCha8(seed)
	for {
		gen++
		for i := w; i < keys; i += writers {
			k := crashKey(i)
			v := Value(k, gen, 1<<10+int(rng.Uint64()%(63<<10)), rng)
			if err := s.Set(ctx, k, v); err != nil {
				fmt.Fprintf(os.Stderr, "set %s: %v\n", k, err)
				os.Exit(2)
			}
			out.line(fmt.Sprintf("%s %d", k, gen))
		}
	}
}

// ackWriter writes whole lines to the acknowledgement pipe, one
// goroutine at a time.
type ackWriter struct {
	mu sync.Mutex
	f  *os.File
}

func (a *ackWriter) line(s string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintln(a.f, s)
}
