// Package audit is syncgate's audit trail: one record per start attempt, dry
// run, pause and restart, written to the log (as its own "audit" lines) and,
// when SYNCGATE_AUDIT_FILE is set, appended to that file as JSON lines, each
// synced to disk before the caller is answered, so an answered start is
// never missing from the file after a crash.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Record is one audit record. In the file it is one JSON object per line,
// with these field names.
type Record struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"requestId"`
	// TraceID is the request's trace (the caller's traceparent, or the
	// gateway's own trace when tracing is on); "" when untraced.
	TraceID string `json:"traceId,omitempty"`
	// The caller: its subject, object id, client (application) id and scopes.
	Subject  string   `json:"sub"`
	ObjectID string   `json:"oid"`
	ClientID string   `json:"clientId"`
	Scopes   []string `json:"scopes"`
	// ScopesJSON, when not nil, is Scopes already encoded as a JSON array
	// (the principal's, made once per token), which the log line then uses
	// rather than encoding Scopes again. It must encode the same list.
	ScopesJSON json.RawMessage `json:"-"`
	// Action is what was asked: veeam.organization.sync, graph.job.start,
	// graph.job.pause, graph.job.restart, veeam.organizations.sync (a bulk
	// sync answered as a whole before the guard).
	Action string `json:"action"`
	// Target is the organization id, or <applicationId>/<jobId>.
	Target string `json:"target"`
	// Request is the start's body as asked, when it has one that changes
	// what the backend does (an organization sync's {"full":true}, a
	// restart's {"resetScope":[...]}); nil otherwise.
	Request        any    `json:"request,omitempty"`
	DryRun         bool   `json:"dryRun"`
	Force          bool   `json:"force"`
	Started        bool   `json:"started"`
	PreviousStatus string `json:"previousStatus"`
	// Decision is what the attempt came to: started, would-start,
	// would-refuse:<reason>, replayed (an Idempotency-Key's first answer
	// again), or the problem slug of a refusal or failure.
	Decision string `json:"decision"`
	// The backend's answer to the start (or to the call that failed), when
	// one came back: its HTTP status and request id (Graph's request-id;
	// Veeam sends none).
	UpstreamStatus    int    `json:"upstreamStatus,omitempty"`
	UpstreamRequestID string `json:"upstreamRequestId,omitempty"`
	// Duration is how long the attempt took, in seconds.
	Duration float64 `json:"duration"`
}

// Log writes audit records. It is safe for concurrent use.
type Log struct {
	logger *slog.Logger
	// onFileError is told of a record the file could not take.
	onFileError func()

	mu   sync.Mutex
	file *os.File // nil: the log only
	path string
}

// Open returns the audit log: records go to logger and, when path is not
// empty, are appended to the file at path (created 0600 when missing).
// onFileError (may be nil) is called for each record the file could not
// take, which is also logged as an error.
func Open(path string, logger *slog.Logger, onFileError func()) (*Log, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if onFileError == nil {
		onFileError = func() {}
	}
	l := &Log{logger: logger, onFileError: onFileError, path: path}
	if path == "" {
		return l, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit file: %w", err)
	}
	l.file = f
	return l, nil
}

// Write records rec: an "audit" log line (its request and trace ids come
// from ctx, through the gateway's context logger) and, with a file, one
// JSON line appended and synced to disk before Write returns. A record the
// file could not take is logged as an error, in full, and reported.
func (l *Log) Write(ctx context.Context, rec Record) {
	var scopes any = rec.Scopes
	if rec.ScopesJSON != nil {
		scopes = rec.ScopesJSON
	}
	// Room for every attribute, so that the list is made once (on the
	// stack: LogAttrs copies it into the record).
	attrs := make([]slog.Attr, 0, 15)
	attrs = append(attrs,
		slog.String("action", rec.Action), slog.String("target", rec.Target),
		slog.Bool("dryRun", rec.DryRun), slog.Bool("force", rec.Force), slog.Bool("started", rec.Started),
		slog.String("previousStatus", rec.PreviousStatus),
		slog.Duration("duration", time.Duration(rec.Duration*float64(time.Second))),
		slog.String("sub", rec.Subject), slog.String("oid", rec.ObjectID),
		slog.String("clientId", rec.ClientID), slog.Any("scopes", scopes),
		slog.String("decision", rec.Decision),
	)
	if rec.Request != nil {
		attrs = append(attrs, slog.Any("request", rec.Request))
	}
	if rec.UpstreamStatus != 0 {
		attrs = append(attrs, slog.Int("upstreamStatus", rec.UpstreamStatus))
	}
	if rec.UpstreamRequestID != "" {
		attrs = append(attrs, slog.String("upstreamRequestId", rec.UpstreamRequestID))
	}
	l.logger.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
	if l.file == nil {
		return
	}
	if err := l.append(rec); err != nil {
		l.onFileError()
		l.logger.LogAttrs(ctx, slog.LevelError, "audit file: record not written", slog.String("file", l.path),
			slog.String("error", err.Error()), slog.Any("record", rec))
	}
}

// append writes rec as one line and syncs the file.
func (l *Log) append(rec Record) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.file.Write(line); err != nil {
		return err
	}
	return l.file.Sync()
}

// Close closes the file, if any.
func (l *Log) Close() error {
	if l == nil || l.file == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.file.Close()
}
