package faulttest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
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

// TLSFiles are a certificate authority, a server certificate it signed
// for 127.0.0.1 and localhost, and a client certificate it signed,
// written as PEM files.
type TLSFiles struct {
	CACert, Cert, Key string         // paths of the PEM files
	Client            string         // path of the client certificate and its key, in one PEM file
	Pool              *x509.CertPool // holds the CA only
}

// NewTLSFiles makes a fresh CA, a server and a client certificate (ECDSA
// P-256, valid for an hour) in a temporary directory.
func NewTLSFiles(t testing.TB) *TLSFiles {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kv test CA"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clientTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3),
		Subject:      pkix.Name{CommonName: "kv test client"},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	clientDER, err := x509.CreateCertificate(rand.Reader, clientTmpl, ca, &clientKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	clientKeyDER, err := x509.MarshalPKCS8PrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	f := &TLSFiles{
		CACert: filepath.Join(dir, "ca.pem"),
		Cert:   filepath.Join(dir, "server.pem"),
		Key:    filepath.Join(dir, "server-key.pem"),
		Client: filepath.Join(dir, "client.pem"),
		Pool:   x509.NewCertPool(),
	}
	f.Pool.AddCert(ca)
	for _, w := range []struct {
		path, typ string
		der       []byte
	}{{f.CACert, "CERTIFICATE", caDER}, {f.Cert, "CERTIFICATE", der}, {f.Key, "PRIVATE KEY", keyDER}} {
		if err := os.WriteFile(w.path, pem.EncodeToMemory(&pem.Block{Type: w.typ, Bytes: w.der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	client := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: clientDER}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: clientKeyDER})...)
	if err := os.WriteFile(f.Client, client, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// SecureRedisConfig says how StartSecureRedis protects its server.
type SecureRedisConfig struct {
	// Password is the default user's password (requirepass); "" leaves
	// the default user without one.
	Password string
	// User and UserPassword add an ACL user allowed every command on
	// every key, when User is not "".
	User, UserPassword string
	// TLS, when not nil, makes the server listen with TLS only (no
	// plaintext port), with these files; clients need no certificate.
	TLS *TLSFiles
}

// SecureRedis is a redis-server of the test's own with a password, an ACL
// user and/or TLS.
type SecureRedis struct {
	Addr string
	cfg  SecureRedisConfig
	dir  string
	cmd  *exec.Cmd
	wait chan struct{}
}

// StartSecureRedis starts redis-server on a free loopback port as cfg
// says, waits until it answers PING (over TLS and after AUTH as cfg
// needs), and stops it when the test ends. Without the binary, or when
// the binary was built without TLS, the test is skipped (fails under CI).
func StartSecureRedis(t testing.TB, cfg SecureRedisConfig) *SecureRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testenv.Unavailable(t, "redis-server not found on PATH (scripts/test installs it): %v", err)
	}
	port := strconv.Itoa(FreePort(t))
	r := &SecureRedis{Addr: net.JoinHostPort("127.0.0.1", port), cfg: cfg, dir: t.TempDir()}
	args := []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", r.dir}
	if cfg.TLS != nil {
		args = append(args, "--port", "0", "--tls-port", port,
			"--tls-cert-file", cfg.TLS.Cert, "--tls-key-file", cfg.TLS.Key,
			"--tls-ca-cert-file", cfg.TLS.CACert, "--tls-auth-clients", "no")
	} else {
		args = append(args, "--port", port)
	}
	if cfg.Password != "" {
		args = append(args, "--requirepass", cfg.Password)
	}
	if cfg.User != "" {
		args = append(args, "--user", cfg.User, "on", ">"+cfg.UserPassword, "~*", "&*", "+@all")
	}
	logPath := filepath.Join(r.dir, "redis.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.cmd, r.wait = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(r.wait) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		<-r.wait
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := r.ping()
		if err == nil {
			return r
		}
		select {
		case <-r.wait:
			log, _ := os.ReadFile(logPath)
			if l := strings.ToLower(string(log)); cfg.TLS != nil && strings.Contains(l, "tls") && (strings.Contains(l, "not compiled") || strings.Contains(l, "bad directive")) {
				testenv.Unavailable(t, "redis-server was built without TLS:\n%s", log)
			}
			t.Fatalf("redis-server exited:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("redis-server did not answer PING within 10s (%v):\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping connects as a client configured for the server would, and sends
// AUTH (when the server wants it) and PING.
func (r *SecureRedis) ping() error {
	d := &net.Dialer{Timeout: 200 * time.Millisecond}
	var c net.Conn
	var err error
	if r.cfg.TLS != nil {
		c, err = tls.DialWithDialer(d, "tcp", r.Addr, &tls.Config{RootCAs: r.cfg.TLS.Pool, ServerName: "127.0.0.1"})
	} else {
		c, err = d.Dial("tcp", r.Addr)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	cmds := "PING\r\n"
	want := []string{"+PONG"}
	switch {
	case r.cfg.User != "":
		cmds = fmt.Sprintf("AUTH %s %s\r\n", r.cfg.User, r.cfg.UserPassword) + cmds
		want = append([]string{"+OK"}, want...)
	case r.cfg.Password != "":
		cmds = fmt.Sprintf("AUTH %s\r\n", r.cfg.Password) + cmds
		want = append([]string{"+OK"}, want...)
	}
	if _, err := c.Write([]byte(cmds)); err != nil {
		return err
	}
	br := bufio.NewReader(c)
	for _, w := range want {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.TrimSpace(line) != w {
			return fmt.Errorf("got %q, want %q", line, w)
		}
	}
	return nil
}
