package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// mongoTLS is FerretDB's TLS listener: its address and PEM files. With a
// CA, FerretDB requires client certificates signed by it.
type mongoTLS struct {
	addr, cert, key, ca string
}

// startMongo runs FerretDB with its SQLite handler inside this process, on a
// free loopback port (or cfg.mongoAddr), and waits until it answers a hello
// command.
func startMongo(ctx context.Context, cfg *config, s *servers) error {
	dir := filepath.Join(cfg.tmp, "mongo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mongo: %w", err)
	}
	logPath := filepath.Join(cfg.tmp, "mongo.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("mongo: %w", err)
	}

	addr := "127.0.0.1:0"
	if cfg.mongoAddr != "" {
		addr = cfg.mongoAddr
	}
	listener := ferretdb.ListenerConfig{TCP: addr}
	if t := cfg.mongoTLS; t != nil {
		// With a TLS listener FerretDB's URI names it, not the TCP one,
		// so the TCP address must be known beforehand.
		if cfg.mongoAddr == "" {
			port, err := freePort(0)
			if err != nil {
				return fmt.Errorf("mongo: %w", err)
			}
			listener.TCP = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		}
		listener.TLS, listener.TLSCertFile, listener.TLSKeyFile, listener.TLSCAFile = t.addr, t.cert, t.key, t.ca
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  listener,
		Logger:    slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		logFile.Close()
		return fmt.Errorf("mongo: start FerretDB: %w%s", err, logTail(logPath))
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		_ = f.Run(runCtx)
	}()
	stop := func() {
		stopRun()
		select {
		case <-runDone:
		case <-time.After(cfg.grace):
		}
		logFile.Close()
	}

	uri := f.MongoDBURI() // the listener is bound by New, so this does not block
	u, err := url.Parse(uri)
	if err != nil {
		stop()
		return fmt.Errorf("mongo: FerretDB URI %q: %w", uri, err)
	}
	if cfg.mongoTLS != nil {
		u.Host = listener.TCP
	}
	err = waitReady(ctx, "mongo (FerretDB)", logPath, nil, cfg.timeout, func(ctx context.Context) error {
		return mongoHello(ctx, u.Host)
	})
	if err != nil {
		stop()
		return err
	}
	s.addStop(stop)
	s.setEnv(envMongoURI, "mongodb://"+u.Host+"/")
	return nil
}

// mongoHello sends {hello: 1, $db: "admin"} as an OP_MSG and checks that the
// reply says ok: 1. It is enough to know the server speaks the wire protocol
// and its backend works, without a driver.
func mongoHello(ctx context.Context, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}

	var doc bytes.Buffer
	doc.Write([]byte{0, 0, 0, 0}) // length, set below
	doc.WriteByte(0x10)           // int32
	doc.WriteString("hello\x00")
	_ = binary.Write(&doc, binary.LittleEndian, int32(1))
	doc.WriteByte(0x02) // string
	doc.WriteString("$db\x00")
	_ = binary.Write(&doc, binary.LittleEndian, int32(len("admin")+1))
	doc.WriteString("admin\x00")
	doc.WriteByte(0)
	body := doc.Bytes()
	binary.LittleEndian.PutUint32(body, uint32(len(body)))

	const opMsg = 2013
	msg := make([]byte, 16+4+1, 16+4+1+len(body))
	binary.LittleEndian.PutUint32(msg[0:], uint32(cap(msg)))
	binary.LittleEndian.PutUint32(msg[4:], 1) // request ID
	binary.LittleEndian.PutUint32(msg[12:], opMsg)
	// flag bits (msg[16:20]) are zero; msg[20] is section kind 0, the body.
	msg = append(msg, body...)
	if _, err := conn.Write(msg); err != nil {
		return err
	}

	var hdr [16]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return err
	}
	n := binary.LittleEndian.Uint32(hdr[0:])
	if n < 16+4+1+5 || n > 48<<20 {
		return fmt.Errorf("hello: reply length %d", n)
	}
	if op := binary.LittleEndian.Uint32(hdr[12:]); op != opMsg {
		return fmt.Errorf("hello: reply opcode %d, want %d", op, opMsg)
	}
	rest := make([]byte, n-16)
	if _, err := io.ReadFull(conn, rest); err != nil {
		return err
	}
	if rest[4] != 0 {
		return fmt.Errorf("hello: reply section kind %d", rest[4])
	}
	ok, err := bsonOK(rest[5:])
	if err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	if !ok {
		return errors.New("hello: reply has no ok: 1")
	}
	return nil
}

// bsonOK reports whether the top level of a BSON document has ok equal to 1.
func bsonOK(doc []byte) (bool, error) {
	if len(doc) < 5 {
		return false, errors.New("short BSON document")
	}
	size := int(binary.LittleEndian.Uint32(doc))
	if size > len(doc) || size < 5 {
		return false, errors.New("bad BSON document length")
	}
	b := doc[4 : size-1]
	for len(b) > 0 {
		typ := b[0]
		end := bytes.IndexByte(b[1:], 0)
		if end < 0 {
			return false, errors.New("bad BSON element name")
		}
		name := string(b[1 : 1+end])
		b = b[2+end:]
		var n int
		switch typ {
		case 0x01, 0x09, 0x11, 0x12: // double, datetime, timestamp, int64
			n = 8
		case 0x10: // int32
			n = 4
		case 0x08: // bool
			n = 1
		case 0x07: // object id
			n = 12
		case 0x0A: // null
			n = 0
		case 0x02: // string: int32 length, then bytes
			if len(b) < 4 {
				return false, errors.New("short BSON string")
			}
			n = 4 + int(binary.LittleEndian.Uint32(b))
		case 0x03, 0x04: // document, array: length includes itself
			if len(b) < 4 {
				return false, errors.New("short BSON document")
			}
			n = int(binary.LittleEndian.Uint32(b))
		case 0x05: // binary: int32 length, subtype, bytes
			if len(b) < 4 {
				return false, errors.New("short BSON binary")
			}
			n = 5 + int(binary.LittleEndian.Uint32(b))
		default:
			return false, fmt.Errorf("BSON type 0x%02x not understood", typ)
		}
		if n < 0 || n > len(b) {
			return false, errors.New("truncated BSON element")
		}
		if name == "ok" {
			switch typ {
			case 0x01:
				return math.Float64frombits(binary.LittleEndian.Uint64(b)) == 1, nil
			case 0x10:
				return int32(binary.LittleEndian.Uint32(b)) == 1, nil
			case 0x12:
				return int64(binary.LittleEndian.Uint64(b)) == 1, nil
			}
			return false, fmt.Errorf("ok has BSON type 0x%02x", typ)
		}
		b = b[n:]
	}
	return false, nil
}
