package faulttest

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kvkit/kv/internal/testenv"
)

// RedisServer is a redis-server of the test's own, on a loopback port that
// stays the same across Kill and Start.
type RedisServer struct {
	Addr string
	args []string
	bin  string
	dir  string
	port int
	cmd  *exec.Cmd
	wait chan struct{}
}

// StartRedis starts redis-server (no persistence, and the extra arguments
// given) on a free loopback port in a directory of its own, and stops it
// when the test ends. Without the binary the test is skipped, or fails
// when CI is set.
func StartRedis(t testing.TB, args ...string) *RedisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testenv.Unavailable(t, "redis-server not found on PATH (scripts/test installs it): %v", err)
	}
	port := FreePort(t)
	r := &RedisServer{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), args: args, bin: bin, dir: t.TempDir(), port: port}
	r.Start(t)
	t.Cleanup(r.Kill)
	return r
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start starts the server (again) on its port and waits until it answers
// PING.
func (r *RedisServer) Start(t testing.TB) {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(r.dir, "redis.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	args := append([]string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", r.dir, "--protected-mode", "no"}, r.args...)
	cmd := exec.Command(r.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.cmd, r.wait = cmd, make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { c.Wait(); close(done) }(cmd, r.wait)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r.ping() {
			return
		}
		select {
		case <-r.wait:
			log, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
			t.Fatalf("redis-server exited:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			r.Kill()
			t.Fatal("redis-server did not answer PING within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *RedisServer) ping() bool {
	c, err := net.DialTimeout("tcp", r.Addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

// Port returns the server's port.
func (r *RedisServer) Port() int { return r.port }

// Kill stops the server with SIGKILL and waits for it to be gone. It does
// nothing when the server is not running.
func (r *RedisServer) Kill() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.wait
	r.cmd = nil
}
