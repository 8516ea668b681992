package api

// Waiting for an organization's synchronization state to change (RFC 7240
// Prefer: wait with If-None-Match): the gateway polls Veeam on the callers'
// behalf, one read per organization per interval however many wait.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

const (
	// MaxWait is the longest Prefer: wait honoured.
	MaxWait = 60 * time.Second
	// DefaultWaitPoll is Config.WaitPoll's default: how often a waited-on
	// organization's state is read from Veeam.
	DefaultWaitPoll = 500 * time.Millisecond
	// waitMargin is kept between the end of a wait and the request's
	// deadline (the server's write timeout), to write the answer.
	waitMargin = time.Second
	// readingTTL is how long a reading nobody asks for again is kept.
	readingTTL = time.Minute
)

// syncReading is one read of an organization's synchronization state.
type syncReading struct {
	status SyncStatus
	etag   string
	at     time.Time
}

// newReading stamps status with its ETag: a hash of the answer's body, so
// the tag changes exactly when the answer does.
func newReading(status SyncStatus, at time.Time) syncReading {
	body, _ := json.Marshal(status)
	sum := sha256.Sum256(body)
	return syncReading{status: status, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, at: at}
}

// syncWatch shares reads of organizations' synchronization states among the
// requests waiting on them: a read younger than interval is reused, and
// concurrent reads of one organization collapse into one (singleflight), so
// Veeam sees at most one read per organization per interval.
type syncWatch struct {
	interval time.Duration
	flight   singleflight.Group
	mu       sync.Mutex
	last     map[string]syncReading
}

func newSyncWatch(interval time.Duration) *syncWatch {
	return &syncWatch{interval: interval, last: map[string]syncReading{}}
}

// fresh returns the organization's reading if it is younger than interval.
func (w *syncWatch) fresh(id string, now time.Time) (syncReading, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.last[id]
	return r, ok && now.Sub(r.at) < w.interval
}

// keep stores a reading and forgets those nobody asked for in a while.
func (w *syncWatch) keep(id string, r syncReading) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, old := range w.last {
		if r.at.Sub(old.at) > readingTTL {
			delete(w.last, k)
		}
	}
	w.last[id] = r
}

// read returns the organization's state: a fresh reading, or a new one
// shared with every concurrent caller. The shared read does not end with the
// caller that began it (the adapter's own timeout bounds it); a caller whose
// ctx ends stops waiting for it.
func (w *syncWatch) read(ctx context.Context, orgs OrganizationSyncer, id string) (syncReading, error) {
	if r, ok := w.fresh(id, time.Now()); ok {
		return r, nil
	}
	ch := w.flight.DoChan(id, func() (any, error) {
		if r, ok := w.fresh(id, time.Now()); ok {
			return r, nil
		}
		st, err := orgs.SyncState(context.WithoutCancel(ctx), id)
		if err != nil {
			return nil, err
		}
		r := newReading(toSyncStatus(st), time.Now())
		w.keep(id, r)
		return r, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return syncReading{}, res.Err
		}
		return res.Val.(syncReading), nil
	case <-ctx.Done():
		return syncReading{}, ctx.Err()
	}
}

// wait reads the organization's state until its ETag is none of tags, for at
// most d: it ends early when ctx ends or the gateway stops, answering the
// last state read.
func (w *syncWatch) wait(ctx context.Context, stopping <-chan struct{}, orgs OrganizationSyncer, id string, tags []string, d time.Duration) (syncReading, error) {
	end := time.Now().Add(d)
	r, err := w.read(ctx, orgs, id)
	for err == nil && matchesAny(tags, r.etag) {
		next := r.at.Add(w.interval)
		if next.After(end) {
			next = end
		}
		timer := time.NewTimer(time.Until(next))
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return r, nil
		case <-stopping:
			timer.Stop()
			return r, nil
		}
		if !time.Now().Before(end) {
			return r, nil
		}
		var again syncReading
		if again, err = w.read(ctx, orgs, id); err == nil {
			r = again
		} else if ctx.Err() != nil {
			return r, nil // the caller left or its deadline came: the last state read
		}
	}
	return r, err
}

// preferWait reads RFC 7240's wait preference from the Prefer headers:
// seconds, or -1 when there is none. A wait that is not a whole number of
// seconds is a 400.
func preferWait(h http.Header) (int, error) {
	for _, line := range h.Values("Prefer") {
		for _, pref := range strings.Split(line, ",") {
			token, _, _ := strings.Cut(pref, ";")
			name, value, hasValue := strings.Cut(strings.TrimSpace(token), "=")
			if !strings.EqualFold(strings.TrimSpace(name), "wait") {
				continue
			}
			value = strings.Trim(strings.TrimSpace(value), `"`)
			n, err := strconv.Atoi(value)
			if !hasValue || err != nil || n < 0 || len(value) > 6 {
				msg := "wait must be a whole number of seconds (0 to " + strconv.Itoa(int(MaxWait/time.Second)) + ")"
				return 0, newProblem(kindValidation, "Prefer: "+msg).withErrors(FieldError{Field: "Prefer", Rule: "wait", Message: msg})
			}
			return n, nil // the first wait counts (RFC 7240 §2)
		}
	}
	return -1, nil
}

// ifNoneMatch lists the entity tags of the If-None-Match headers, W/ removed
// (weak comparison, RFC 9110 §13.1.2); "*" matches any.
func ifNoneMatch(h http.Header) []string {
	var tags []string
	for _, line := range h.Values("If-None-Match") {
		for _, tag := range strings.Split(line, ",") {
			if tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/"); tag != "" {
				tags = append(tags, tag)
			}
		}
	}
	return tags
}

func matchesAny(tags []string, etag string) bool {
	for _, t := range tags {
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
