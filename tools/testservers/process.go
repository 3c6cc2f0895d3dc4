package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a server run as a child process in a process group of its own,
// with its output in a log file.
type process struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // the exit error, set before done is closed

	stopSignal syscall.Signal // what stop sends first (zero: SIGTERM)
}

// startProcess starts argv in dir with its output appended to logPath.
func startProcess(name, logPath, dir string, argv ...string) (*process, error) {
	return startProcessAs(name, logPath, dir, nil, argv...)
}

// startProcessAs is startProcess with the process running as the user and
// groups of cred (nil: this process's own).
func startProcessAs(name, logPath, dir string, cred *syscall.Credential, argv ...string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close() // the child keeps its own copy

	fmt.Fprintf(f, "+ %s\n", strings.Join(argv, " "))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:    true,            // stopped as a group, and not hit by the terminal's Ctrl-C
		Pdeathsig:  syscall.SIGKILL, // gone if this program dies without stopping it
		Credential: cred,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", name, argv[0], err)
	}
	p := &process{name: name, log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM (or stopSignal) to the process group, and SIGKILL
// after grace. It returns once the process has exited.
func (p *process) stop(grace time.Duration) {
	pgid := p.cmd.Process.Pid
	sig := p.stopSignal
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	_ = syscall.Kill(-pgid, sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Anything the server left behind in its group goes too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// waitReady calls check until it succeeds, the process exits, ctx ends or
// timeout passes. Its errors name the server and end with the log's tail.
func waitReady(ctx context.Context, name, logPath string, p *process, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		err := check(cctx)
		ccancel()
		if err == nil {
			return nil
		}
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited before it answered (%v)%s", name, p.err, logTail(logPath))
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s did not answer within %v: %w%s", name, timeout, err, logTail(logPath))
			}
			return fmt.Errorf("%s: %w", name, ctx.Err())
		case <-tick.C:
		}
	}
}

// logTail returns the last lines of a log file, ready to append to an error.
func logTail(path string) string {
	const maxLines = 30
	b, err := os.ReadFile(path)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return "\n--- last lines of " + path + " ---\n" + strings.Join(lines, "\n")
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago. When
// alsoPlus is not zero, port+alsoPlus is checked free too (Redis Cluster's
// bus port).
func freePort(alsoPlus int) (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if alsoPlus == 0 {
			l.Close()
			return port, nil
		}
		if port+alsoPlus > 65535 {
			l.Close()
			continue
		}
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+alsoPlus))
		l.Close()
		if err != nil {
			continue
		}
		l2.Close()
		return port, nil
	}
	return 0, errors.New("find a free port: none found")
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
