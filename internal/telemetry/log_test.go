package telemetry

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/reqstate"
	"github.com/syncgate/syncgate/internal/upstream"
)

// noTime drops the time, the one attribute two lines logged apart differ in.
func noTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func accessAttrs() []slog.Attr {
	return []slog.Attr{
		slog.String("method", "GET"), slog.String("path", "/applications/a/jobs/j"),
		slog.Int("status", 200), slog.Int("bytes", 620),
		slog.Duration("duration", 1500*time.Microsecond), slog.String("remote", "127.0.0.1:5000"),
	}
}

// TestLogAttrsSameLine: LogAttrs writes the line logger.LogAttrs writes,
// requestId included, whether the id came from the request's state or from
// WithRequestID, and writes nothing below the logger's level.
func TestLogAttrsSameLine(t *testing.T) {
	withState, st := reqstate.New(context.Background())
	st.RequestID = "req-1"
	for name, ctx := range map[string]context.Context{
		"state":         withState,
		"WithRequestID": upstream.WithRequestID(context.Background(), "req-1"),
	} {
		t.Run(name, func(t *testing.T) {
			var want, got bytes.Buffer
			wantLog := ContextLogger(slog.New(slog.NewJSONHandler(&want, &slog.HandlerOptions{ReplaceAttr: noTime})))
			gotLog := ContextLogger(slog.New(slog.NewJSONHandler(&got, &slog.HandlerOptions{ReplaceAttr: noTime})))
			wantLog.LogAttrs(ctx, slog.LevelInfo, "request", accessAttrs()...)
			LogAttrs(ctx, gotLog, slog.LevelInfo, "request", accessAttrs()...)
			if got.String() != want.String() {
				t.Errorf("LogAttrs wrote\n%s\nlogger.LogAttrs wrote\n%s", got.String(), want.String())
			}
			if !bytes.Contains(got.Bytes(), []byte(`"requestId":"req-1"`)) {
				t.Errorf("no requestId in %s", got.String())
			}
			got.Reset()
			LogAttrs(ctx, gotLog, slog.LevelDebug, "request", accessAttrs()...)
			if got.Len() != 0 {
				t.Errorf("a debug line at info level was written: %s", got.String())
			}
		})
	}
}

// TestLogAttrsAllocatesLess: the access line (six attributes and the request
// id) takes one allocation fewer through LogAttrs than through
// logger.LogAttrs.
func TestLogAttrsAllocatesLess(t *testing.T) {
	ctx, st := reqstate.New(context.Background())
	st.RequestID = "req-1"
	logger := ContextLogger(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	attrs := accessAttrs()
	plain := testing.AllocsPerRun(100, func() { logger.LogAttrs(ctx, slog.LevelInfo, "request", attrs...) })
	ours := testing.AllocsPerRun(100, func() { LogAttrs(ctx, logger, slog.LevelInfo, "request", attrs...) })
	if ours >= plain {
		t.Errorf("LogAttrs: %v allocations per line, logger.LogAttrs %v", ours, plain)
	}
}
