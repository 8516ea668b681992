package api_test

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// otlpReceiver is an in-process OTLP/HTTP trace receiver: it decodes what
// the gateway's exporter sends to /v1/traces.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want POST /v1/traces with application/x-protobuf", http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(data, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			o.spans = append(o.spans, ss.GetSpans()...)
		}
	}
	o.mu.Unlock()
	resp, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

// inTrace is the spans received of trace id (hex).
func (o *otlpReceiver) inTrace(id string) []*tracepb.Span {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range o.spans {
		if hex.EncodeToString(s.GetTraceId()) == id {
			out = append(out, s)
		}
	}
	return out
}

// TestTracesExportedOverOTLP: with OTEL_EXPORTER_OTLP_ENDPOINT set, a job
// start the caller traced (W3C traceparent) reaches a local OTLP receiver as
// one trace: the inbound server span (a child of the caller's span, named by
// its route), the guard span, the store's spans and the client spans of the
// calls to Graph and of azidentity's token request; and Graph and the login
// host received that trace in traceparent, parented by those client spans.
func TestTracesExportedOverOTLP(t *testing.T) {
	recv := &otlpReceiver{}
	collector := httptest.NewServer(recv)
	t.Cleanup(collector.Close)
	e := newEnv(t, func(o *envOptions) {
		o.vars = map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}
	})
	const traceID, callerSpan = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	r := e.do(req{method: "POST", path: jobURL(graphsim.AWSObjectID, graphsim.AWSJobID) + "/start", token: e.token,
		header: map[string]string{"traceparent": "00-" + traceID + "-" + callerSpan + "-01"}})
	wantStatus(t, r, http.StatusAccepted)
	wantStatus(t, e.get("/healthz"), http.StatusOK) // not traced

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.gateway.Close(ctx) // exports what is left

	spans := recv.inTrace(traceID)
	byName := map[string]*tracepb.Span{}
	clientSpans := map[string]bool{}
	for _, s := range spans {
		byName[s.GetName()] = s
		if s.GetKind() == tracepb.Span_SPAN_KIND_CLIENT {
			clientSpans[hex.EncodeToString(s.GetSpanId())] = true
		}
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range byName {
			if !yield(n) {
				return
			}
		}
	})
	t.Logf("spans of trace %s: %v; %d client spans", traceID, names, len(clientSpans))
	server := byName["POST /applications/{applicationId}/jobs/{jobId}/start"]
	if server == nil || server.GetKind() != tracepb.Span_SPAN_KIND_SERVER || hex.EncodeToString(server.GetParentSpanId()) != callerSpan {
		t.Fatalf("no server span of the start route parented by the caller's span %s in trace %s; spans: %v", callerSpan, traceID, names)
	}
	guardSpan := byName["guard graph.job.start"]
	if guardSpan == nil || !slices.Equal(guardSpan.GetParentSpanId(), server.GetSpanId()) {
		t.Fatalf("no guard span under the server span; spans: %v", names)
	}
	if claim := byName["store claim"]; claim == nil || !slices.Equal(claim.GetParentSpanId(), guardSpan.GetSpanId()) {
		t.Errorf("no store claim span under the guard span (the cooldown's claim); spans: %v", names)
	}
	if len(clientSpans) < 3 { // the token request, the job read, the start
		t.Errorf("%d client spans; want the token request's and Graph's calls: %v", len(clientSpans), names)
	}
	for _, s := range recv.inTrace("") {
		t.Errorf("span %q without a trace id", s.GetName())
	}
	if n := len(recv.spans); n != len(spans) {
		t.Errorf("%d spans exported, %d of them in the request's trace; want all (the probes are not traced)", n, len(spans))
	}
	for name, seen := range map[string]*seenRequests{"graph": e.graphSeen, "login host": e.loginSeen} {
		tps := seen.traces()
		if len(tps) == 0 {
			t.Errorf("%s received no traceparent", name)
		}
		for _, tp := range tps {
			parts := strings.Split(tp, "-")
			if len(parts) != 4 || parts[1] != traceID || !clientSpans[parts[2]] {
				t.Errorf("%s received traceparent %q; want trace %s parented by a client span the gateway exported", name, tp, traceID)
			}
		}
	}
}

// TestTraceparentPassedOnWhenTracingIsOff: with no OTLP endpoint, nothing
// is exported, but a caller's traceparent still reaches Veeam, and every log
// line of the request carries the caller's trace id and the request id.
func TestTraceparentPassedOnWhenTracingIsOff(t *testing.T) {
	e := newEnv(t)
	const traceID = "5bf92f3577b34da6a3ce929d0e0e4736"
	tp := "00-" + traceID + "-00f067aa0ba902b7-01"
	mark := len(e.logs.String())
	r := e.do(req{method: "POST", path: "/organizations/" + veeamsim.ContosoID + "/sync", token: e.token,
		header: map[string]string{"traceparent": tp, "X-Request-ID": "trace-off-1"}})
	wantStatus(t, r, http.StatusAccepted)
	// Every line the gateway logged while it served the request (at debug:
	// the adapter's calls, the Veeam login) is that request's.
	for line := range strings.Lines(e.logs.String()[mark:]) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line does not parse: %v: %s", err, line)
		}
		if rec["requestId"] != "trace-off-1" {
			t.Errorf("a line logged during the request lacks its requestId: %s", line)
		}
	}
	got := e.veeamSeen.traces()
	if len(got) == 0 {
		t.Fatal("Veeam received no traceparent")
	}
	for _, g := range got {
		if g != tp {
			t.Errorf("Veeam received traceparent %q; want the caller's %q", g, tp)
		}
	}
	lines := e.linesOf("trace-off-1")
	if len(lines) < 3 { // access, audit, and the adapter's debug lines
		t.Fatalf("%d log lines carry requestId trace-off-1; want every line of the request", len(lines))
	}
	for _, l := range lines {
		if l["traceId"] != traceID {
			t.Errorf("log line %v lacks traceId %s", l, traceID)
		}
	}
}
