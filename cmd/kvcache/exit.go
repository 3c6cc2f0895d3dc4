package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/kvkit/kv/stores"
)

// Exit statuses. Those of network failures and of --fail are curl's, so
// that scripts written for curl read them the same.
const (
	exitOK          = 0
	exitFailed      = 1   // the work failed; also a missing cache, a port in use
	exitUsage       = 2   // a bad command line or store URL
	exitDNS         = 6   // the origin's host name did not resolve
	exitRefused     = 7   // the origin refused the connection
	exitHTTP        = 22  // fetch --fail: the response's status was 400 or more
	exitTimeout     = 28  // the request (or --timeout) timed out
	exitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM)
)

// usageError marks an error the user can fix on the command line: exit 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// resumable is the error of interrupted work: msg says how to finish it,
// and is printed alone (err is the cancellation, for errors.Is).
type resumable struct {
	msg string
	err error
}

func (e resumable) Error() string { return e.msg }
func (e resumable) Unwrap() error { return e.err }

// httpError is a response of status 400 or more, under fetch --fail.
type httpError struct {
	status string
	label  string
}

func (e httpError) Error() string { return fmt.Sprintf("the response was %s (%s)", e.status, e.label) }

// exitCode is the exit status for err, returned by a command run with
// ctx (a context canceled by a signal means an interruption).
func exitCode(ctx context.Context, err error) int {
	var dns *net.DNSError
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, new(usageError)) || errors.Is(err, stores.ErrInvalidURL):
		return exitUsage
	case errors.As(err, new(httpError)):
		return exitHTTP
	case errors.As(err, &dns):
		return exitDNS
	case errors.Is(err, syscall.ECONNREFUSED):
		return exitRefused
	case isTimeout(err):
		return exitTimeout
	}
	return exitFailed
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
