package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("testservers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: testservers [flags] -- command [args...]")
		fmt.Fprintln(stderr, "       testservers [flags] -print")
		fs.PrintDefaults()
	}
	only := fs.String("only", "", "start only these servers, comma-separated: "+strings.Join(serverNames, ","))
	dir := fs.String("dir", "", "working directory of the command (default: the current one)")
	cache := fs.String("cache", defaultCacheDir(), "directory for downloads kept between runs")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long each server may take to answer")
	printEnv := fs.Bool("print", false, "print export lines for the servers' variables and keep them running until SIGINT or SIGTERM")
	keep := fs.Bool("keep", false, "keep the temporary directory with the servers' data and logs")
	quiet := fs.Bool("q", false, "print nothing but errors")
	mongoAddr := fs.String("mongo-addr", "", "loopback `host:port` for FerretDB (default: a free port), so that a test can start it again on the same address")
	mongoTLS := fs.String("mongo-tls", "", "also serve FerretDB over TLS: `addr,cert,key[,ca]`, a loopback host:port and the PEM files of the server certificate, its key and, to require client certificates signed by it, a CA")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	command := fs.Args()
	if *printEnv == (len(command) > 0) {
		fmt.Fprintln(stderr, "testservers: give either -print or a command after --")
		fs.Usage()
		return 2
	}
	tlsCfg, err := parseMongoTLS(*mongoTLS)
	if err != nil {
		fmt.Fprintln(stderr, "testservers: -mongo-tls:", err)
		return 2
	}
	want, err := parseOnly(*only)
	if err != nil {
		fmt.Fprintln(stderr, "testservers:", err)
		return 2
	}
	if err := checkLoopback(*mongoAddr); err != nil {
		fmt.Fprintln(stderr, "testservers: -mongo-addr:", err)
		return 2
	}

	logf := func(format string, args ...any) {
		if !*quiet {
			fmt.Fprintf(stderr, "testservers: "+format+"\n", args...)
		}
	}
	tmp, err := os.MkdirTemp("", "kv-testservers-")
	if err != nil {
		fmt.Fprintln(stderr, "testservers:", err)
		return 1
	}
	if *keep {
		logf("data and logs in %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	cfg := &config{
		tmp:       tmp,
		cache:     *cache,
		timeout:   *timeout,
		grace:     10 * time.Second,
		logf:      logf,
		mongoAddr: *mongoAddr,
		mongoTLS:  tlsCfg,
	}

	// A signal during start-up cancels it; afterwards signals go to the command.
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigc)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startDone := make(chan struct{})
	var startSig os.Signal
	go func() {
		select {
		case sig := <-sigc:
			startSig = sig
			cancel()
		case <-startDone:
		}
	}()

	t0 := time.Now()
	s, err := startAll(ctx, cfg, want)
	close(startDone)
	if err != nil {
		fmt.Fprintln(stderr, "testservers:", err)
		if startSig != nil {
			return 128 + int(startSig.(syscall.Signal))
		}
		return 1
	}
	defer s.stop()
	logf("servers ready in %v", time.Since(t0).Round(time.Millisecond))

	if *printEnv {
		for _, kv := range s.environ() {
			k, v, _ := strings.Cut(kv, "=")
			fmt.Fprintf(stdout, "export %s=%s\n", k, shellQuote(v))
		}
		logf("running until SIGINT or SIGTERM (Ctrl-C)")
		<-sigc
		logf("stopping")
		return 0
	}

	code := runCommand(command, *dir, s.environ(), sigc, stderr)
	logf("stopping servers")
	return code
}

// runCommand runs the command in a process group of its own, passes signals
// on to that group, and returns its exit status.
func runCommand(command []string, dir string, env []string, sigc <-chan os.Signal, stderr io.Writer) int {
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = os.Stdin
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // its whole group gets the signals and is cleaned up
		Pdeathsig: syscall.SIGTERM, // ends if this program is killed outright
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, "testservers:", err)
		return 127
	}
	pgid := cmd.Process.Pid
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigc:
				_ = syscall.Kill(-pgid, sig.(syscall.Signal))
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	// Nothing the command started outlives it.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)

	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	default:
		fmt.Fprintln(stderr, "testservers:", err)
		return 1
	}
}

// defaultCacheDir is $KV_CACHE_DIR, else kvkit in the user's cache directory
// ($XDG_CACHE_HOME or ~/.cache).
func defaultCacheDir() string {
	if d := os.Getenv("KV_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "kvkit")
	}
	return filepath.Join(os.TempDir(), "kvkit-cache")
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// checkLoopback accepts "" or a host:port on a loopback address with a
// port number: the servers never listen beyond the machine.
// parseMongoTLS parses the -mongo-tls value; "" is no TLS listener.
func parseMongoTLS(v string) (*mongoTLS, error) {
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) < 3 || len(parts) > 4 {
		return nil, fmt.Errorf("%q: want addr,cert,key[,ca]", v)
	}
	if err := checkLoopback(parts[0]); err != nil {
		return nil, err
	}
	t := &mongoTLS{addr: parts[0], cert: parts[1], key: parts[2]}
	if len(parts) == 4 {
		t.ca = parts[3]
	}
	for _, f := range []string{t.cert, t.key, t.ca} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func checkLoopback(addr string) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address", host)
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}
