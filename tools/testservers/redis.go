package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// startRedisNode starts one redis-server on a free loopback port, with no
// persistence, its files in dir/NAME, and waits until it answers PING.
// A port taken between choosing and binding is retried with another one.
func startRedisNode(ctx context.Context, cfg *config, name string, extra ...string) (*process, string, error) {
	dir := filepath.Join(cfg.tmp, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	logPath := filepath.Join(cfg.tmp, name+".log")
	var lastErr error
	for range 3 {
		bus := 0
		if len(extra) > 0 {
			bus = 10000 // cluster nodes also bind port+10000
		}
		port, err := freePort(bus)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", name, err)
		}
		argv := append([]string{cfg.redisServer,
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--dir", dir,
			"--save", "",
			"--appendonly", "no",
			"--daemonize", "no",
			"--logfile", "",
		}, extra...)
		p, err := startProcess(name, logPath, dir, argv...)
		if err != nil {
			return nil, "", err
		}
		addr := loopback(port)
		err = waitReady(ctx, name, logPath, p, cfg.timeout, func(ctx context.Context) error {
			reply, err := redisDo(ctx, addr, "PING")
			if err == nil && reply != "PONG" {
				err = fmt.Errorf("PING answered %q", reply)
			}
			return err
		})
		if err == nil {
			return p, addr, nil
		}
		died := p.exited()
		p.stop(cfg.grace)
		lastErr = err
		if !died || ctx.Err() != nil {
			break
		}
		// It died early, most likely on a port taken meanwhile: try another.
	}
	return nil, "", lastErr
}

// startRedis starts a standalone redis-server.
func startRedis(ctx context.Context, cfg *config, s *servers) error {
	p, addr, err := startRedisNode(ctx, cfg, "redis")
	if err != nil {
		return err
	}
	s.addStop(func() { p.stop(cfg.grace) })
	s.setEnv(envRedisAddr, addr)
	return nil
}

// startCluster starts three redis-server nodes in cluster mode, joins them
// into a cluster of three masters without replicas, and waits until every
// node reports cluster_state:ok and knows the other two.
func startCluster(ctx context.Context, cfg *config, s *servers) error {
	const nodes = 3
	addrs := make([]string, 0, nodes)
	for i := range nodes {
		name := fmt.Sprintf("cluster-%d", i+1)
		p, addr, err := startRedisNode(ctx, cfg, name,
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000",
		)
		if err != nil {
			return err
		}
		s.addStop(func() { p.stop(cfg.grace) })
		addrs = append(addrs, addr)
	}

	logPath := filepath.Join(cfg.tmp, "cluster-create.log")
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	cctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, cfg.redisCLI, args...)
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(logPath, out, 0o644)
	if err != nil {
		return fmt.Errorf("cluster: redis-cli --cluster create: %w%s", err, logTail(logPath))
	}

	for i, addr := range addrs {
		name := fmt.Sprintf("cluster-%d", i+1)
		err := waitReady(ctx, "cluster node "+addr, filepath.Join(cfg.tmp, name+".log"), nil, cfg.timeout, func(ctx context.Context) error {
			info, err := redisDo(ctx, addr, "CLUSTER", "INFO")
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") ||
				!strings.Contains(info, "cluster_slots_ok:16384") ||
				!strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(nodes)) {
				return fmt.Errorf("CLUSTER INFO: %s", strings.Join(strings.Fields(info), " "))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	s.setEnv(envRedisClusterAddrs, strings.Join(addrs, ","))
	return nil
}

// redisDo sends one command to a Redis server and returns a simple, integer
// or bulk string reply. Array replies are not needed here and are an error.
func redisDo(ctx context.Context, addr string, args ...string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second)
	}
	_ = conn.SetDeadline(deadline)

	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return "", err
	}

	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("redis error: %s", line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", fmt.Errorf("bad bulk length %q", line)
		}
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	default:
		return "", fmt.Errorf("unexpected reply %q", line)
	}
}
