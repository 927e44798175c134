package rtc

import (
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogs routes pion's internal logs into slog at debug level only. pion's
// default logger writes peer addresses to stderr at error level, and support-
// room members' addresses must never reach a log (DESIGN.md §6), so they stay
// out of the default (info) output and appear only when an operator asks for
// debug logs while diagnosing a connection.
type pionLogs struct{ log *slog.Logger }

func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With(slog.String("pion", scope))}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) Trace(string)                      {}
func (l pionLogger) Tracef(string, ...any)             {}
func (l pionLogger) Debug(msg string)                  { l.log.Debug(msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.log.Debug(fmt.Sprintf(format, args...)) }
func (l pionLogger) Info(msg string)                   { l.log.Debug(msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.log.Debug(fmt.Sprintf(format, args...)) }
func (l pionLogger) Warn(msg string)                   { l.log.Debug(msg) }
func (l pionLogger) Warnf(format string, args ...any)  { l.log.Debug(fmt.Sprintf(format, args...)) }
func (l pionLogger) Error(msg string)                  { l.log.Debug(msg) }
func (l pionLogger) Errorf(format string, args ...any) { l.log.Debug(fmt.Sprintf(format, args...)) }
