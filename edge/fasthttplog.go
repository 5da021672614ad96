package edge

import (
	"fmt"
	"log/slog"
)

// fasthttpLogger adapts slog to fasthttp's logger.
type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	f.l.Debug(fmt.Sprintf(format, args...), "component", "fasthttp")
}
