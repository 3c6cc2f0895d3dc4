// Command kvcache fetches URLs through an HTTP cache kept in any kv store,
// runs a caching reverse proxy, and inspects, purges or copies a cache.
//
//	kvcache demo                                a local origin, fetched through the cache
//	kvcache fetch https://example.com/          body on stdout; "miss 200 OK 85ms" on stderr
//	kvcache fetch -i https://example.com/       headers too
//	kvcache proxy --listen :8080 --upstream https://example.com
//	kvcache ls | stats | purge | clear | rm URL
//	kvcache copy --from sqlite:///tmp/c.db --to redis://localhost:6379/0?prefix=c
//	eval "$(kvcache completion)"                 shell completion (bash, zsh, fish)
//
// A cache is the store (or two) of httpcache.NewFromStores, in the
// library's own layout: --store names the responses store (see package
// stores for the URL forms), --redirects the redirects store when the
// aliases are kept apart. So the command reads and writes the caches
// programs make with the library, and the reverse. The command's own
// counters (how fetch and proxy served requests) live in a store of their
// own, --stats-store, keyed by the SHA-256 of the cache URL, never among
// the responses.
//
// Commands that only read (ls, stats, copy --from) open the cache
// read-only and never create it; purge, clear and rm need an existing
// cache too. Exit statuses are listed in exit.go and in the README: 0
// success, 1 failure (a missing cache, a port in use), 2 a bad command
// line or store URL, 6, 7 and 28 as curl for DNS, refused and timed-out
// requests, 22 for fetch --fail on a status of 400 or more, 130 when
// interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/willabides/kongplete"
)

// cli is the command line. Flags and commands are declared as struct tags
// with kong: help, defaults and errors come from one declaration.
type cli struct {
	Version kong.VersionFlag `help:"Print the version of kvcache and exit."`

	Demo  demoCmd  `cmd:"" help:"Start a local origin and fetch from it through the cache, saying how each response was served."`
	Fetch fetchCmd `cmd:"" help:"Fetch a URL through the cache and print its body."`
	Proxy proxyCmd `cmd:"" help:"Run a caching reverse proxy in front of an upstream server."`
	Ls    lsCmd    `cmd:"" help:"List cached responses."`
	Stats statsCmd `cmd:"" help:"Show totals of the cache and how responses were served."`
	Rm    rmCmd    `cmd:"" help:"Delete the stored responses of URLs."`
	Purge purgeCmd `cmd:"" help:"Delete expired responses."`
	Clear clearCmd `cmd:"" help:"Delete every cached response."`
	Copy  copyCmd  `cmd:"" help:"Copy a cache, every entry with its remaining lifetime, from one store to another."`
	Help  helpCmd  `cmd:"" help:"Show the help of kvcache or of a command."`

	Completion kongplete.InstallCompletions `cmd:"" help:"Print the shell line that completes kvcache's commands and flags (bash, zsh, fish): eval \"$(kvcache completion)\"."`
}

// helpCmd is "kvcache help [command]"; run turns it into --help.
type helpCmd struct {
	Command []string `arg:"" optional:"" help:"The command to explain."`
}

func (helpCmd) Run() error { return nil }

// env is what every command runs with.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	isTTY  bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, isTerminal(os.Stderr))
	stop()
	os.Exit(code)
}

// version is the module version the binary was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" {
		return "kvcache (unknown version)"
	}
	return "kvcache " + info.Main.Version
}

// helpArgs turns "help [command...]" into "[command...] --help".
func helpArgs(args []string) []string {
	if len(args) > 0 && args[0] == "help" {
		return append(append([]string{}, args[1:]...), "--help")
	}
	return args
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
		kong.Vars{"store": defaultStoreURL(), "stats": defaultStatsURL(), "version": version()},
	)
	if err != nil {
		fmt.Fprintln(stderr, "kvcache:", err)
		return exitFailed
	}
	// A shell asking for completions (COMP_LINE set) gets them here.
	kongplete.Complete(parser, kongplete.WithExitFunc(func(code int) { exited = code }))
	if exited >= 0 {
		return exited
	}
	kctx, err := parser.Parse(helpArgs(args))
	if exited >= 0 { // --help, --version
		return exited
	}
	if err != nil {
		fmt.Fprintf(stderr, "kvcache: %v\nRun 'kvcache --help' for the commands, 'kvcache help COMMAND' for one.\n", err)
		return exitUsage
	}
	err = kctx.Run(&env{ctx: ctx, stdout: stdout, stderr: stderr, isTTY: tty})
	code := exitCode(ctx, err)
	switch {
	case code == exitOK:
	case code == exitInterrupted && !errors.As(err, new(resumable)):
		fmt.Fprintln(stderr, "kvcache: interrupted")
	default:
		fmt.Fprintln(stderr, "kvcache:", err)
	}
	return code
}
