package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

func TestParseOnly(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "", want: serverNames},
		{in: "redis", want: []string{"redis"}},
		{in: " cluster , dynamodb,", want: []string{"cluster", "dynamodb"}},
		{in: "redis,postgres", want: []string{"redis", "postgres"}},
		{in: "redis,oracle", wantErr: `unknown server "oracle"`},
		{in: ",", wantErr: "no server named"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseOnly(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseOnly(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, n := range serverNames {
				if got[n] {
					names = append(names, n)
				}
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("parseOnly(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// bsonDoc builds a BSON document from raw elements.
func bsonDoc(elems ...[]byte) []byte {
	body := bytes.Join(elems, nil)
	doc := binary.LittleEndian.AppendUint32(nil, uint32(4+len(body)+1))
	doc = append(doc, body...)
	return append(doc, 0)
}

func bsonDouble(name string, f float64) []byte {
	e := append([]byte{0x01}, name+"\x00"...)
	return binary.LittleEndian.AppendUint64(e, math.Float64bits(f))
}

func bsonString(name, s string) []byte {
	e := append([]byte{0x02}, name+"\x00"...)
	e = binary.LittleEndian.AppendUint32(e, uint32(len(s)+1))
	return append(append(e, s...), 0)
}

func TestBSONOK(t *testing.T) {
	tests := []struct {
		name    string
		doc     []byte
		want    bool
		wantErr bool
	}{
		{name: "ok 1", doc: bsonDoc(bsonString("msg", "hi"), bsonDouble("ok", 1)), want: true},
		{name: "ok 0", doc: bsonDoc(bsonDouble("ok", 0), bsonString("errmsg", "no")), want: false},
		{name: "no ok", doc: bsonDoc(bsonString("ok2", "x")), want: false},
		{name: "truncated", doc: bsonDoc(bsonDouble("ok", 1))[:9], wantErr: true},
		{name: "short", doc: []byte{1, 0}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bsonOK(tt.doc)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("bsonOK = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestServers starts each server alone, checks it answers at the address
// it exported, stops it and checks it is gone.
func TestServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	tests := []struct {
		server string
		env    string
		check  func(ctx context.Context, t *testing.T, v string) error
		addrs  func(v string) []string
	}{
		{
			server: "redis", env: envRedisAddr,
			check: func(ctx context.Context, t *testing.T, v string) error {
				_, err := redisDo(ctx, v, "SET", "k", "v")
				return err
			},
			addrs: func(v string) []string { return []string{v} },
		},
		{
			server: "cluster", env: envRedisClusterAddrs,
			check: func(ctx context.Context, t *testing.T, v string) error {
				addrs := strings.Split(v, ",")
				if len(addrs) != 3 {
					t.Fatalf("%s = %q, want 3 addresses", envRedisClusterAddrs, v)
				}
				for _, a := range addrs {
					info, err := redisDo(ctx, a, "CLUSTER", "INFO")
					if err != nil {
						return err
					}
					if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_size:3") {
						t.Errorf("CLUSTER INFO of %s:\n%s", a, info)
					}
				}
				return nil
			},
			addrs: func(v string) []string { return strings.Split(v, ",") },
		},
		{
			server: "mongo", env: envMongoURI,
			check: func(ctx context.Context, t *testing.T, v string) error {
				host, ok := strings.CutPrefix(v, "mongodb://")
				if !ok || !strings.HasSuffix(host, "/") {
					t.Fatalf("%s = %q, want mongodb://HOST:PORT/", envMongoURI, v)
				}
				if err := mongoHello(ctx, strings.TrimSuffix(host, "/")); err != nil {
					return err
				}
				return mongoRoundTrip(ctx, t, v)
			},
			addrs: func(v string) []string {
				return []string{strings.TrimSuffix(strings.TrimPrefix(v, "mongodb://"), "/")}
			},
		},
		{
			server: "dynamodb", env: envDynamoDBEndpoint,
			check: func(ctx context.Context, t *testing.T, v string) error {
				return dynamoDBListTables(ctx, v)
			},
			addrs: func(v string) []string { return []string{strings.TrimPrefix(v, "http://")} },
		},
		{
			server: "postgres", env: envPostgresURL,
			check: postgresCheck,
			addrs: func(v string) []string {
				u, err := url.Parse(v)
				if err != nil {
					return nil
				}
				return []string{u.Host}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.server, func(t *testing.T) {
			t.Parallel()
			cfg := &config{
				tmp:     t.TempDir(),
				cache:   defaultCacheDir(),
				timeout: 2 * time.Minute,
				grace:   10 * time.Second,
				logf:    t.Logf,
			}
			ctx := t.Context()
			s, err := startAll(ctx, cfg, map[string]bool{tt.server: true})
			if err != nil {
				t.Fatal(err)
			}
			stopped := false
			t.Cleanup(func() {
				if !stopped {
					s.stop()
				}
			})
			env := s.environ()
			if len(env) != 1 || !strings.HasPrefix(env[0], tt.env+"=") {
				t.Fatalf("environment = %q, want only %s", env, tt.env)
			}
			v := strings.TrimPrefix(env[0], tt.env+"=")
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := tt.check(cctx, t, v); err != nil {
				t.Fatalf("%s at %s: %v", tt.server, v, err)
			}

			s.stop()
			stopped = true
			for _, a := range tt.addrs(v) {
				if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
					c.Close()
					t.Errorf("%s still accepts connections at %s after stop", tt.server, a)
				}
			}
		})
	}
}

// TestRun runs a command under the tool: it sees the variable, its exit
// status comes back, and the server is gone afterwards.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real server")
	}
	dir := t.TempDir()
	var stderr bytes.Buffer
	code := run([]string{"-only", "redis", "-dir", dir, "--",
		"sh", "-c", `printf %s "$KV_TEST_REDIS_ADDR" > addr && exit 7`}, os.Stdout, &stderr)
	if code != 7 {
		t.Fatalf("exit status %d, want 7; stderr:\n%s", code, stderr.String())
	}
	addr, err := os.ReadFile(filepath.Join(dir, "addr"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := net.SplitHostPort(string(addr)); err != nil {
		t.Fatalf("%s = %q: %v", envRedisAddr, addr, err)
	}
	if c, err := net.DialTimeout("tcp", string(addr), time.Second); err == nil {
		c.Close()
		t.Errorf("redis still accepts connections at %s after the command ended", addr)
	}
}

// mongoRoundTrip uses FerretDB's SQLite backend the way a store would:
// an upsert, a find, an index, a delete. The driver is the one FerretDB
// itself depends on, so the test adds nothing to build.
func mongoRoundTrip(ctx context.Context, t *testing.T, uri string) error {
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		return err
	}
	defer client.Disconnect(context.Background())
	coll := client.Database("testservers").Collection("c")
	_, err = coll.UpdateOne(ctx, bson.M{"_id": "k"}, bson.M{"$set": bson.M{"v": []byte("value")}}, options.Update().SetUpsert(true))
	if err != nil {
		return err
	}
	var got struct {
		ID string `bson:"_id"`
		V  []byte `bson:"v"`
	}
	if err := coll.FindOne(ctx, bson.M{"_id": "k"}).Decode(&got); err != nil {
		return err
	}
	if got.ID != "k" || string(got.V) != "value" {
		t.Errorf("FindOne = %+v, want k: value", got)
	}
	// FerretDB v1.24 answers NotImplemented to TTL indexes (expireAfterSeconds),
	// so a plain one is what is checked here.
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.M{"exp": 1}}); err != nil {
		return err
	}
	if _, err := coll.DeleteOne(ctx, bson.M{"_id": "k"}); err != nil {
		return err
	}
	n, err := coll.CountDocuments(ctx, bson.M{})
	if err != nil {
		return err
	}
	if n != 0 {
		t.Errorf("CountDocuments after delete = %d, want 0", n)
	}
	return nil
}

// postgresCheck logs in with the exported URL (SCRAM, with its password),
// creates, fills and reads a table, and checks that a wrong password and
// a wrong user are refused.
func postgresCheck(ctx context.Context, t *testing.T, v string) error {
	u, err := url.Parse(v)
	if err != nil {
		t.Fatalf("%s = %q: %v", envPostgresURL, v, err)
	}
	bin := postgresBinDir("/usr/lib/postgresql")
	got, err := psql(ctx, bin, v, "CREATE TABLE t (k bytea PRIMARY KEY, v bytea); INSERT INTO t VALUES ('\\x00ff', 'v'); SELECT encode(k, 'hex') || '=' || convert_from(v, 'UTF8') FROM t; SHOW password_encryption")
	if err != nil {
		return err
	}
	if diff := cmp.Diff("00ff=v\nscram-sha-256", got); diff != "" {
		t.Errorf("psql output (-want +got):\n%s", diff)
	}
	for _, bad := range []*url.Userinfo{url.UserPassword(postgresUser, "wrong"), url.UserPassword("nobody", "wrong")} {
		w := *u
		w.User = bad
		if _, err := psql(ctx, bin, w.String(), "SELECT 1"); err == nil || !strings.Contains(err.Error(), "password authentication failed") {
			t.Errorf("login as %s with a wrong password: %v, want password authentication failed", bad.Username(), err)
		}
	}
	return nil
}
