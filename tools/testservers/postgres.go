package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// postgresUser and postgresDB are the superuser initdb creates and the
// database the exported URL names (initdb's own "postgres").
const (
	postgresUser = "kv"
	postgresDB   = "postgres"
)

// postgresBinDir returns the bin directory of the newest PostgreSQL under
// root (Debian's /usr/lib/postgresql/VERSION/bin), or "" when there is none.
func postgresBinDir(root string) string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return ""
	}
	best, bestV := "", -1
	for _, e := range entries {
		v, err := strconv.Atoi(e.Name())
		if err != nil || v <= bestV {
			continue
		}
		bin := filepath.Join(root, e.Name(), "bin")
		if _, err := os.Stat(filepath.Join(bin, "postgres")); err == nil {
			best, bestV = bin, v
		}
	}
	return best
}

// lookPostgres finds initdb and postgres: in the newest version directory
// of Debian's postgresql package, else on PATH.
func lookPostgres(cfg *config) error {
	if dir := postgresBinDir("/usr/lib/postgresql"); dir != "" {
		cfg.pgBin = dir
		return nil
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return errors.New("initdb not found in /usr/lib/postgresql/*/bin or on PATH (needed for postgres; Debian: postgresql)")
	}
	cfg.pgBin = filepath.Dir(p)
	return nil
}

// postgresCredential returns the user initdb and postgres run as, which
// PostgreSQL requires not to be root: nil (this process's own) when not
// root, else nobody's.
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root, and no unprivileged user to run postgres as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user nobody: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: false, Groups: []uint32{}}, nil
}

// postgresArgs returns the command line of a postgres that serves dataDir
// on 127.0.0.1:port only: no Unix socket, and no fsync (test data is
// thrown away; a SIGKILL still recovers from the WAL, only a machine
// crash could lose it).
func postgresArgs(bin, dataDir string, port int) []string {
	return []string{filepath.Join(bin, "postgres"),
		"-D", dataDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
		"-c", "logging_collector=off",
	}
}

// initdbArgs returns the command line that creates a cluster in dataDir
// with the superuser postgresUser, whose password is in pwFile, and SCRAM
// password authentication for every connection.
func initdbArgs(bin, dataDir, pwFile string) []string {
	return []string{filepath.Join(bin, "initdb"),
		"-D", dataDir,
		"-U", postgresUser,
		"--pwfile=" + pwFile,
		"--auth=scram-sha-256",
		"--encoding=UTF8",
		"--locale=C",
		"--no-sync",
		"--no-instructions",
	}
}

// postgresURL is the URL the tests get.
func postgresURL(password string, port int) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(postgresUser, password),
		Host:     loopback(port),
		Path:     "/" + postgresDB,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// newPassword returns a random password for the superuser.
func newPassword() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// startPostgres runs initdb in a directory of its own as an unprivileged
// user, starts postgres on a free loopback port and waits until it
// accepts connections. Nothing of the system's PostgreSQL (service,
// cluster, socket directory) is used.
func startPostgres(ctx context.Context, cfg *config, s *servers) error {
	cred, err := postgresCredential()
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	// Under /tmp rather than cfg.tmp, whose parents may be closed to the
	// unprivileged user.
	dir, err := os.MkdirTemp("", "kv-postgres-")
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	p, err := runPostgres(ctx, cfg, cred, dir)
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	s.addStop(func() {
		p.proc.stop(cfg.grace)
		os.RemoveAll(dir)
	})
	s.setEnv(envPostgresURL, postgresURL(p.password, p.port))
	return nil
}

// runningPostgres is a postgres started by runPostgres.
type runningPostgres struct {
	proc     *process
	password string
	port     int
}

// runPostgres creates the cluster in dir and starts its server.
func runPostgres(ctx context.Context, cfg *config, cred *syscall.Credential, dir string) (*runningPostgres, error) {
	password, err := newPassword()
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	dataDir := filepath.Join(dir, "data")
	logPath := filepath.Join(cfg.tmp, "postgres.log")
	if err := initCluster(ctx, cfg, cred, dir, dataDir, logPath, password); err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 {
		port, err := freePort(0)
		if err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		p, err := startProcessAs("postgres", logPath, dir, cred, postgresArgs(cfg.pgBin, dataDir, port)...)
		if err != nil {
			return nil, err
		}
		// SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for
		// every client to disconnect.
		p.stopSignal = syscall.SIGINT
		err = waitReady(ctx, "postgres", logPath, p, cfg.timeout, func(ctx context.Context) error {
			return pgIsReady(ctx, cfg.pgBin, port)
		})
		if err == nil {
			return &runningPostgres{proc: p, password: password, port: port}, nil
		}
		died := p.exited()
		p.stop(cfg.grace)
		lastErr = err
		if !died || ctx.Err() != nil {
			break
		}
		// It died early, most likely on a port taken meanwhile: try another.
	}
	return nil, lastErr
}

// initCluster runs initdb into dataDir, as cred's user, with the
// superuser's password handed over in a file that is removed afterwards.
func initCluster(ctx context.Context, cfg *config, cred *syscall.Credential, dir, dataDir, logPath, password string) error {
	pwFile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if cred != nil {
		for _, p := range []string{dir, pwFile} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return fmt.Errorf("postgres: %w", err)
			}
		}
	}
	initdb, err := startProcessAs("postgres initdb", logPath, dir, cred, initdbArgs(cfg.pgBin, dataDir, pwFile)...)
	if err != nil {
		return err
	}
	select {
	case <-initdb.done:
	case <-ctx.Done():
		initdb.stop(cfg.grace)
		return fmt.Errorf("postgres: %w", ctx.Err())
	}
	if initdb.err != nil {
		return fmt.Errorf("postgres: initdb: %w%s", initdb.err, logTail(logPath))
	}
	return os.Remove(pwFile)
}

// pgIsReady asks pg_isready whether the server on port accepts
// connections.
func pgIsReady(ctx context.Context, bin string, port int) error {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "2")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_isready: %w", err)
	}
	return nil
}

// psql runs one SQL command through psql against the server at rawURL and
// returns its unaligned output.
func psql(ctx context.Context, bin, rawURL, command string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", command, rawURL)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "PG") })
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}
