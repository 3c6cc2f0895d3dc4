package badger

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// slogLogger is a badger.Logger that writes to a slog.Logger, formatting a
// line only when its level is enabled (badger logs a great deal at Debug).
type slogLogger struct{ l *slog.Logger }

func (a slogLogger) log(level slog.Level, format string, args ...any) {
	ctx := context.Background()
	if !a.l.Enabled(ctx, level) {
		return
	}
	a.l.Log(ctx, level, strings.TrimSpace(fmt.Sprintf(format, args...)), "source", "badger")
}

func (a slogLogger) Errorf(format string, args ...any)   { a.log(slog.LevelError, format, args...) }
func (a slogLogger) Warningf(format string, args ...any) { a.log(slog.LevelWarn, format, args...) }
func (a slogLogger) Infof(format string, args ...any)    { a.log(slog.LevelInfo, format, args...) }
func (a slogLogger) Debugf(format string, args ...any)   { a.log(slog.LevelDebug, format, args...) }
