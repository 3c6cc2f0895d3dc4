package faulttest

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvkit/kv/internal/testenv"
)

// FerretDBServer is FerretDB (MongoDB wire protocol, SQLite handler) of
// the test's own, run by the tools/testservers binary on a loopback
// address that stays the same across Kill and Start. Its data is not
// kept across Kill: each start begins empty.
type FerretDBServer struct {
	URI     string // mongodb://127.0.0.1:PORT/
	Addr    string
	TLSAddr string // the TLS listener's host:port, with StartFerretDBTLS
	tlsArg  string // -mongo-tls value
	bin     string
	dir     string
	cmd     *exec.Cmd
	wait    chan struct{}
}

// CacheDir is where scripts/test keeps what it fetches and builds:
// $KV_CACHE_DIR, else kvkit in the user's cache directory ("" when there
// is none).
func CacheDir() string {
	if d := os.Getenv("KV_CACHE_DIR"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "kvkit")
}

// TestServersBinary returns the path of the tools/testservers binary that
// scripts/test builds ($KV_CACHE_DIR/bin/testservers, else
// ~/.cache/kvkit/bin/testservers), or "" when there is none.
func TestServersBinary() string {
	cache := CacheDir()
	if cache == "" {
		return ""
	}
	p := filepath.Join(cache, "bin", "testservers")
	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		return ""
	}
	return p
}

// StartFerretDB starts FerretDB through the testservers binary
// (-only mongo -print -mongo-addr) on a free loopback port, and stops it
// when the test ends. Without the binary, or with one too old to take
// -mongo-addr, the test is skipped (fails under CI).
func StartFerretDB(t testing.TB) *FerretDBServer {
	t.Helper()
	return startFerretDB(t, nil, false)
}

// StartFerretDBTLS is StartFerretDB with a TLS listener too, at TLSAddr,
// serving files' server certificate; with requireClientCert, FerretDB
// accepts only clients with a certificate signed by files' CA. A testservers
// binary too old to take -mongo-tls skips the test (fails under CI).
func StartFerretDBTLS(t testing.TB, files *TLSFiles, requireClientCert bool) *FerretDBServer {
	t.Helper()
	return startFerretDB(t, files, requireClientCert)
}

func startFerretDB(t testing.TB, files *TLSFiles, requireClientCert bool) *FerretDBServer {
	t.Helper()
	bin := TestServersBinary()
	if bin == "" {
		testenv.Unavailable(t, "the testservers binary is not in $KV_CACHE_DIR/bin or ~/.cache/kvkit/bin (scripts/test builds it)")
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
	f := &FerretDBServer{URI: "mongodb://" + addr + "/", Addr: addr, bin: bin, dir: t.TempDir()}
	if files != nil {
		f.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
		f.tlsArg = f.TLSAddr + "," + files.Cert + "," + files.Key
		if requireClientCert {
			f.tlsArg += "," + files.CACert
		}
	}
	f.Start(t)
	t.Cleanup(f.Kill)
	return f
}

// Start starts the server (again) on its address and waits until the
// tool reports it ready (after a hello command answered ok).
func (f *FerretDBServer) Start(t testing.TB) {
	t.Helper()
	tmp := filepath.Join(f.dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{"-only", "mongo", "-print", "-mongo-addr", f.Addr, "-timeout", "20s"}
	if f.tlsArg != "" {
		args = append(args, "-mongo-tls", f.tlsArg)
	}
	cmd := exec.Command(f.bin, args...)
	// The tool's data directory (left behind by SIGKILL) goes with the test.
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.cmd, f.wait = cmd, make(chan struct{})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "export KV_TEST_MONGO_URI=") {
				ready <- line
			}
		}
		cmd.Wait()
		close(f.wait)
	}()
	select {
	case line := <-ready:
		if !strings.Contains(line, f.Addr) {
			f.Kill()
			t.Fatalf("testservers started FerretDB elsewhere: %s", line)
		}
	case <-f.wait:
		f.cmd = nil
		if strings.Contains(stderr.String(), "flag provided but not defined") {
			testenv.Unavailable(t, "%s does not take -mongo-addr or -mongo-tls: rebuild it (scripts/test does)", f.bin)
		}
		t.Fatalf("testservers exited before FerretDB was ready:\n%s", stderr.String())
	case <-time.After(25 * time.Second):
		f.Kill()
		t.Fatalf("FerretDB not ready after 25s:\n%s", stderr.String())
	}
}

// Kill stops the tool, and FerretDB inside it, with SIGKILL and waits for
// it to be gone. It does nothing when the server is not running.
func (f *FerretDBServer) Kill() {
	if f.cmd == nil {
		return
	}
	syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
	<-f.wait
	f.cmd = nil
}
