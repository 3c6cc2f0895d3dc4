package faulttest

import (
	"context"
	"io/fs"
	"net"
	"net/http"
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

// DynamoDBServer is a DynamoDB Local of the test's own, on a loopback
// port that stays the same across Kill and Start. It keeps its tables in
// a directory (not in memory), so a table created before Kill is there
// again after Start.
type DynamoDBServer struct {
	Endpoint string // http://127.0.0.1:PORT
	java     string
	jar      string
	dir      string
	port     int
	cmd      *exec.Cmd
	wait     chan struct{}
}

// DynamoDBJar finds DynamoDBLocal.jar (with DynamoDBLocal_lib beside it)
// where scripts/test unpacks it: under $KV_CACHE_DIR, else kvkit in the
// user's cache directory. It returns "" when there is none.
func DynamoDBJar() string {
	cache := CacheDir()
	if cache == "" {
		return ""
	}
	var found string
	filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && d.Name() == "DynamoDBLocal.jar" {
			if fi, err := os.Stat(filepath.Join(filepath.Dir(p), "DynamoDBLocal_lib")); err == nil && fi.IsDir() {
				found = p
				return fs.SkipAll
			}
		}
		return nil
	})
	return found
}

// StartDynamoDB starts DynamoDB Local on a free loopback port, with its
// data in a temporary directory, and stops it when the test ends. Without
// java or the jar (scripts/test fetches it) the test is skipped, or fails
// when CI is set.
func StartDynamoDB(t testing.TB) *DynamoDBServer {
	t.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		testenv.Unavailable(t, "java not found on PATH (needed for DynamoDB Local): %v", err)
	}
	jar := DynamoDBJar()
	if jar == "" {
		testenv.Unavailable(t, "DynamoDBLocal.jar not found under $KV_CACHE_DIR or ~/.cache/kvkit (scripts/test fetches it)")
	}
	port := FreePort(t)
	d := &DynamoDBServer{
		Endpoint: "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		java:     java, jar: jar, dir: t.TempDir(), port: port,
	}
	d.Start(t)
	t.Cleanup(d.Kill)
	return d
}

// Start starts the server (again) on its port and waits until it answers
// ListTables.
func (d *DynamoDBServer) Start(t testing.TB) {
	t.Helper()
	logPath := filepath.Join(d.dir, "dynamodb.log")
	data := filepath.Join(d.dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	jarDir := filepath.Dir(d.jar)
	cmd := exec.Command(d.java, "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
		"-Djava.library.path="+filepath.Join(jarDir, "DynamoDBLocal_lib"),
		"-jar", d.jar, "-sharedDb", "-dbPath", data, "-port", strconv.Itoa(d.port))
	cmd.Dir = jarDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	d.wait = launch(t, cmd, logPath)
	d.cmd = cmd
	awaitReady(t, "DynamoDB Local", logPath, d.wait, d.ready, d.Kill)
}

// ready reports whether ListTables answers 200 (DynamoDB Local does not
// check signatures).
func (d *DynamoDBServer) ready() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Endpoint+"/", strings.NewReader("{}"))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Port returns the server's port.
func (d *DynamoDBServer) Port() int { return d.port }

// Kill stops the server with SIGKILL and waits for it to be gone. It does
// nothing when the server is not running.
func (d *DynamoDBServer) Kill() {
	if d.cmd == nil {
		return
	}
	syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	<-d.wait
	d.cmd = nil
}
