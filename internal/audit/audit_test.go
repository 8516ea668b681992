package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"
)

// record is a start as the gateway audits it.
func record() Record {
	return Record{
		Time: time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC), RequestID: "9d3c1a52-7f0e-4b8a-9c61-2f4d5e6a7b8c",
		Subject: "b7e0c1d2-3f4a-4b5c-8d9e-0f1a2b3c4d5e", ObjectID: "b7e0c1d2-3f4a-4b5c-8d9e-0f1a2b3c4d5e",
		ClientID: "0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f", Scopes: []string{"SyncJobs.Read", "SyncJobs.Start"},
		Action: "graph.job.start", Target: "fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3/aWSSingleSignon.e9ff",
		Force: true, Started: true, PreviousStatus: "Active", Decision: "started", UpstreamStatus: 204,
		UpstreamRequestID: "req-1", Duration: 0.0042,
	}
}

// TestLogLineScopes: the audit log line lists the caller's scopes as a JSON
// array, the same whether they come encoded already (ScopesJSON, the
// principal's, made once per token) or not, and escaped as JSON.
func TestLogLineScopes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scopes []string
		json   json.RawMessage
	}{
		{"encoded here", []string{"SyncJobs.Read", `odd "scope" <&>`}, nil},
		{"encoded already", []string{"SyncJobs.Read", `odd "scope" <&>`}, json.RawMessage(`["SyncJobs.Read","odd \"scope\" <&>"]`)},
		{"none", []string{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			l, err := Open("", slog.New(slog.NewJSONHandler(&out, nil)), nil)
			if err != nil {
				t.Fatal(err)
			}
			rec := record()
			rec.Scopes, rec.ScopesJSON = tc.scopes, tc.json
			l.Write(context.Background(), rec)
			var line struct {
				Msg    string   `json:"msg"`
				Scopes []string `json:"scopes"`
				Sub    string   `json:"sub"`
			}
			if err := json.Unmarshal(out.Bytes(), &line); err != nil {
				t.Fatalf("log line %s: %v", out.Bytes(), err)
			}
			if line.Msg != "audit" || line.Sub != rec.Subject || !slices.Equal(line.Scopes, tc.scopes) || line.Scopes == nil {
				t.Errorf("log line %s: msg %q, sub %q, scopes %q; want audit, %q, %q", out.Bytes(), line.Msg, line.Sub, line.Scopes, rec.Subject, tc.scopes)
			}
		})
	}
}

// BenchmarkWrite is one audit record of a start written to a JSON log (no
// file), with the scopes as the gateway passes them: already encoded.
func BenchmarkWrite(b *testing.B) {
	l, err := Open("", slog.New(slog.NewJSONHandler(io.Discard, nil)), nil)
	if err != nil {
		b.Fatal(err)
	}
	rec := record()
	rec.ScopesJSON, _ = json.Marshal(rec.Scopes)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l.Write(ctx, rec)
	}
}
