// Command kvcache fetches URLs through an HTTP cache kept in any kv store,
// runs a caching reverse proxy, and inspects, purges or copies a cache.
//
//	kvcache demo                                a local origin, fetched through the cache
//	kvcache fetch https://example.com/          body on stdout; "miss 200 OK 85ms" on stderr
//	kvcache fetch -i https://example.com/       headers too
//	kvcache proxy --listen :8080 --upstream https://example.com
//	kvcache ls | stats | purge | clear
//	kvcache copy --from sqlite:///tmp/c.db --to redis://localhost:6379/0?prefix=c
//
// Every command takes --store URL (see package stores for the URL forms);
// the default is a SQLite file under the user cache directory. Exit status:
// 0 on success, 1 when the work failed, 2 for a bad command line or URL.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/kvkit/kv/stores"
)

// cli is the command line. Flags and commands are declared as struct tags
// with kong: help, defaults and errors come from one declaration.
type cli struct {
	Store string `help:"Store URL of the cache (memory:, file:///dir, sqlite:///path, badger:///dir, redis://host:port, mongodb://host/db, dynamodb://table, postgres://user:pass@host/db?table=x)." default:"${store}" env:"KVCACHE_STORE"`

	Demo  demoCmd  `cmd:"" help:"Start a local origin and fetch from it through the cache, saying how each response was served."`
	Fetch fetchCmd `cmd:"" help:"Fetch a URL through the cache and print its body."`
	Proxy proxyCmd `cmd:"" help:"Run a caching reverse proxy in front of an upstream server."`
	Ls    lsCmd    `cmd:"" help:"List cached responses."`
	Stats statsCmd `cmd:"" help:"Show totals of the cache and how responses were served."`
	Purge purgeCmd `cmd:"" help:"Delete expired responses."`
	Clear clearCmd `cmd:"" help:"Delete every cached response."`
	Copy  copyCmd  `cmd:"" help:"Copy every entry, with its remaining lifetime, from one store to another."`
}

// env is what every command runs with.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	isTTY  bool
}

// usageError marks an error the user can fix on the command line: exit 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, isTerminal(os.Stderr))
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	var c cli
	exited := -1
	parser, err := kong.New(&c,
		kong.Name("kvcache"),
		kong.Description("An HTTP cache over any kv store: fetch through it, proxy through it, inspect it."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exited = code }),
		kong.Vars{"store": defaultStoreURL()},
		kong.UsageOnError(),
	)
	if err != nil {
		fmt.Fprintln(stderr, "kvcache:", err)
		return 1
	}
	kctx, err := parser.Parse(args)
	if exited >= 0 { // --help
		return exited
	}
	if err != nil {
		fmt.Fprintln(stderr, "kvcache:", err)
		return 2
	}
	err = kctx.Run(&env{ctx: ctx, stdout: stdout, stderr: stderr, isTTY: tty}, &c)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, stores.ErrInvalidURL) || errors.As(err, new(usageError)):
		fmt.Fprintln(stderr, "kvcache:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "kvcache:", err)
		return 1
	}
}
