package faulttest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/kvkit/kv/internal/testenv"
)

// PostgresServer is a PostgreSQL server of the test's own, initialised
// with initdb in a directory of its own (as the user nobody when the test
// runs as root) and served on a loopback port that stays the same across
// Kill and Start. Its data is kept across Kill (the server recovers from
// its write-ahead log on Start).
type PostgresServer struct {
	URL  string // postgres://kv:PASSWORD@127.0.0.1:PORT/postgres?sslmode=disable
	Addr string
	bin  string
	dir  string
	port int
	cred *syscall.Credential
	cmd  *exec.Cmd
	wait chan struct{}
}

// postgresBin returns the newest /usr/lib/postgresql/VERSION/bin, or the
// directory of initdb on PATH.
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[j]))))
		return vi > vj
	})
	if len(dirs) > 0 {
		return filepath.Dir(dirs[0]), nil
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", err
	}
	return filepath.Dir(p), nil
}

// StartPostgres runs initdb (SCRAM password authentication, a random
// password) and starts the server, which is stopped and removed when the
// test ends. Without PostgreSQL's binaries the test is skipped, or fails
// when CI is set.
func StartPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	bin, err := postgresBin()
	if err != nil {
		testenv.Unavailable(t, "PostgreSQL's initdb not found in /usr/lib/postgresql/*/bin or on PATH (scripts/test installs postgresql): %v", err)
	}
	p := &PostgresServer{bin: bin, port: FreePort(t)}
	p.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("running as root, and no user nobody to run postgres as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	}
	// Under $TMPDIR rather than t.TempDir, whose parents are closed to nobody.
	p.dir, err = os.MkdirTemp("", "kv-faulttest-postgres-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(p.dir) })
	b := make([]byte, 12)
	rand.Read(b)
	password := hex.EncodeToString(b)
	pwFile := filepath.Join(p.dir, "pwfile")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p.cred != nil {
		for _, f := range []string{p.dir, pwFile} {
			if err := os.Chown(f, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
				t.Fatal(err)
			}
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", filepath.Join(p.dir, "data"), "-U", "kv",
		"--pwfile="+pwFile, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.Dir = p.dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.URL = (&url.URL{Scheme: "postgres", User: url.UserPassword("kv", password), Host: p.Addr, Path: "/postgres", RawQuery: "sslmode=disable"}).String()
	p.Start(t)
	t.Cleanup(p.Kill)
	return p
}

// Start starts the server (again) on its port and waits until it accepts
// connections.
func (p *PostgresServer) Start(t testing.TB) {
	t.Helper()
	logPath := filepath.Join(p.dir, "postgres.log")
	cmd := exec.Command(filepath.Join(p.bin, "postgres"), "-D", filepath.Join(p.dir, "data"), "-p", strconv.Itoa(p.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "full_page_writes=off")
	cmd.Dir = p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: p.cred}
	p.wait = launch(t, cmd, logPath)
	p.cmd = cmd
	ready := func() bool {
		return exec.Command(filepath.Join(p.bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-t", "1").Run() == nil
	}
	awaitReady(t, "postgres", logPath, p.wait, ready, p.Kill)
}

// Kill stops the server with SIGKILL, the postmaster and every child
// (backends and workers, which PostgreSQL puts in process groups of
// their own, so that a signal to the postmaster's group misses them),
// and waits for the postmaster to be gone. It does nothing when the
// server is not running.
func (p *PostgresServer) Kill() {
	if p.cmd == nil {
		return
	}
	pid := p.cmd.Process.Pid
	syscall.Kill(pid, syscall.SIGSTOP) // no new children from here on
	for _, c := range children(pid) {
		syscall.Kill(c, syscall.SIGKILL)
	}
	syscall.Kill(-pid, syscall.SIGKILL)
	<-p.wait
	p.cmd = nil
}

// children returns the pids of the processes whose parent is pid.
func children(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(b[i+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		if c, err := strconv.Atoi(filepath.Base(filepath.Dir(f))); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// String names the server without its password.
func (p *PostgresServer) String() string { return fmt.Sprintf("postgres at %s", p.Addr) }
