package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/syncgate/syncgate/internal/auth"
)

// Idempotency-Key (the IETF httpapi idempotency-key draft) on every POST:
// the first request with a key runs and its answer is recorded in the store,
// per caller and key, for Config.IdempotencyTTL; the same request again
// replays that answer (status, body, Content-Type, Location) with
// Idempotent-Replayed: true and calls no backend. Another request with the
// same key is 422; the same request while the first still runs is 409.
// Answers that say nothing happened yet and may be retried (401, 403, 429,
// 503) are not recorded, so the retry runs.
const (
	headerIdempotencyKey     = "Idempotency-Key"
	headerIdempotentReplayed = "Idempotent-Replayed"
	maxIdempotencyKey        = 255
	// idempotencyInFlightTTL bounds how long a record stays "in flight"
	// when the replica running the request died before recording it.
	idempotencyInFlightTTL = 5 * time.Minute
	// maxRecordedBody is the largest answer recorded; a larger one (a very
	// large bulk answer) is not kept, and a retry runs again.
	maxRecordedBody = 1 << 20
)

// idempotencyRecord is what the store holds for a caller's key: the request
// in flight (its owner and fingerprint), then its answer.
type idempotencyRecord struct {
	Done        bool   `json:"done,omitempty"`
	Owner       string `json:"owner,omitempty"`
	Fingerprint string `json:"fingerprint"`
	Status      int    `json:"status,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Location    string `json:"location,omitempty"`
	Body        []byte `json:"body,omitempty"`
}

func (rec idempotencyRecord) encode() string {
	data, _ := json.Marshal(rec)
	return string(data)
}

// idempotency applies Idempotency-Key to a POST route; it runs after the
// route's scope check, so a replay is only ever given to a caller allowed to
// make the request.
func (s *server) idempotency(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, sent := r.Header[headerIdempotencyKey]; !sent || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		begin := time.Now()
		if err := s.idempotent(w, r, next, begin); err != nil {
			s.answeredEarly(r, begin, err)
			s.fail(w, r, err)
		}
	})
}

// idempotent runs or replays a request carrying an Idempotency-Key.
// A replay is audited here (answeredEarly), a refusal by the caller.
func (s *server) idempotent(w http.ResponseWriter, r *http.Request, next http.Handler, begin time.Time) error {
	keys := r.Header.Values(headerIdempotencyKey)
	if len(keys) != 1 || !validIdempotencyKey(keys[0]) {
		msg := "must be one header of 1 to 255 printable ASCII characters"
		return newProblem(kindValidation, headerIdempotencyKey+": "+msg).
			withErrors(FieldError{Field: headerIdempotencyKey, Rule: "idempotency-key", Message: msg})
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	ctx := r.Context()
	storeKey := idempotencyStoreKey(ctx, keys[0])
	mine := idempotencyRecord{Owner: uuid.NewString(), Fingerprint: fingerprint(r, body)}
	inFlight := mine.encode()
	for range 3 {
		claimed, _, err := s.Store.Claim(ctx, storeKey, inFlight, idempotencyInFlightTTL)
		if err != nil {
			s.Metrics.StoreError("idempotency")
			return err
		}
		if claimed {
			s.runRecorded(w, r, next, storeKey, inFlight, mine)
			return nil
		}
		value, _, found, err := s.Store.Get(ctx, storeKey)
		if err != nil {
			s.Metrics.StoreError("idempotency")
			return err
		}
		if !found {
			continue // released or expired meanwhile: claim again
		}
		var prior idempotencyRecord
		if err := json.Unmarshal([]byte(value), &prior); err != nil {
			return err
		}
		switch {
		case prior.Fingerprint != mine.Fingerprint:
			return newProblem(kindIdempotencyKeyReuse, "this Idempotency-Key was used with another request (method, path, query or body); use a new key for a new request")
		case !prior.Done:
			return newProblem(kindIdempotencyInFlight, "the first request with this Idempotency-Key is still in progress; retry once it has answered")
		}
		s.answeredEarly(r, begin, nil)
		replay(w, prior)
		return nil
	}
	return newProblem(kindIdempotencyInFlight, "the first request with this Idempotency-Key is still in progress; retry once it has answered")
}

// runRecorded runs next and records its answer under storeKey, replacing
// the in-flight record this request owns; an answer that may be retried is
// not recorded, and the key is released.
func (s *server) runRecorded(w http.ResponseWriter, r *http.Request, next http.Handler, storeKey, inFlight string, mine idempotencyRecord) {
	rec := &recorder{ResponseWriter: w}
	// Fresh context: the record is settled even when the caller went away.
	bg := context.WithoutCancel(r.Context())
	settled := false
	defer func() {
		if !settled { // next panicked: nothing to record
			_, _ = s.Store.Release(bg, storeKey, inFlight)
		}
	}()
	next.ServeHTTP(rec, r)
	settled = true
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	var err error
	if retryable(status) || rec.overflow {
		_, err = s.Store.Release(bg, storeKey, inFlight)
	} else {
		done := idempotencyRecord{Done: true, Fingerprint: mine.Fingerprint, Status: status,
			ContentType: rec.Header().Get("Content-Type"), Location: rec.Header().Get("Location"), Body: rec.body.Bytes()}
		_, err = s.Store.Replace(bg, storeKey, inFlight, done.encode(), s.IdempotencyTTL)
	}
	if err != nil {
		// The answer is sent; the record is not: a retry runs again.
		s.Logger.LogAttrs(r.Context(), slog.LevelWarn, "idempotency record not kept", slog.Any("error", err))
		s.Metrics.StoreError("idempotency")
	}
}

// replay answers a recorded answer again.
func replay(w http.ResponseWriter, rec idempotencyRecord) {
	h := w.Header()
	if rec.ContentType != "" {
		h.Set("Content-Type", rec.ContentType)
	}
	if rec.Location != "" {
		h.Set("Location", rec.Location)
	}
	h.Set("Cache-Control", "no-store")
	h.Set(headerIdempotentReplayed, "true")
	w.WriteHeader(rec.Status)
	_, _ = w.Write(rec.Body)
}

// retryable reports whether an answer says nothing happened yet and the
// same request may simply be sent again: such answers are not recorded.
func retryable(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	}
	return false
}

// validIdempotencyKey: 1 to 255 printable ASCII characters.
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// idempotencyStoreKey is the store key of a caller's Idempotency-Key: the
// caller is the token's issuer, client id and subject, so no caller ever
// sees another's answers.
func idempotencyStoreKey(ctx context.Context, key string) string {
	var caller string
	if p, ok := auth.PrincipalFrom(ctx); ok {
		caller = p.Issuer + "\x00" + p.ClientID + "\x00" + p.Subject
	}
	return "idempotency:" + digest(caller) + ":" + digest(key)
}

// fingerprint identifies a request: method, path, query and body.
func fingerprint(r *http.Request, body []byte) string {
	h := sha256.New()
	for _, part := range []string{r.Method, r.URL.EscapedPath(), r.URL.RawQuery} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// digest is a short, fixed-length store-key part for any string.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// recorder passes an answer through and keeps a copy of it (up to
// maxRecordedBody).
type recorder struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	overflow bool
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.body.Len()+len(b) > maxRecordedBody {
		rec.overflow = true
	} else if !rec.overflow {
		rec.body.Write(b)
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }
