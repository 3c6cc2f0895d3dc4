package faulttest

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// launch starts cmd with its output appended to logPath and returns a
// channel that is closed when the process exits. The caller keeps cmd to
// stop it.
func launch(t testing.TB, cmd *exec.Cmd, logPath string) chan struct{} {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	return exited
}

// awaitReady polls ready every 50 ms for up to 30 s. It fails t with the
// server's log when the process exits first, and kills it and fails t
// when the time runs out.
func awaitReady(t testing.TB, name, logPath string, exited <-chan struct{}, ready func() bool, kill func()) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ready() {
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("%s exited:\n%s", name, log)
		default:
		}
		if time.Now().After(deadline) {
			kill()
			log, _ := os.ReadFile(logPath)
			t.Fatalf("%s did not answer within 30s:\n%s", name, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
