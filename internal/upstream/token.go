package upstream

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Token is a bearer token an adapter holds for every call.
type Token struct {
	Value     string
	Refresh   string    // a refresh token, when the backend gave one
	Expires   time.Time // the token stops working
	RefreshAt time.Time // renew from then on
}

// Tokens holds the one token every call of an adapter shares and renews it:
// when it is due, or at once when the backend refused it. Callers renewing at
// the same moment share one renewal, and a caller whose token was already
// replaced gets the replacement without one. A routine renewal that fails
// keeps a token that has not expired yet; a refused token is never kept.
// It is safe for concurrent use.
type Tokens struct {
	Service string
	// Timeout bounds one renewal. A renewal is shared by every caller
	// waiting for it, so it does not end with the caller that began it.
	Timeout time.Duration
	Now     func() time.Time
	Log     *slog.Logger
	// Fetch gets a new token. cur is the token held (nil for none); refused
	// is the token the backend refused, or "" for a routine renewal.
	Fetch func(ctx context.Context, cur *Token, refused string) (*Token, error)
	// Observer is told of each Fetch's result; nil observes nothing.
	Observer Observer

	mu     sync.Mutex
	cur    *Token
	flight singleflight.Group
}

// Get returns the token to send: the held one until it is due for renewal,
// then a renewed one. op names the call in errors.
func (t *Tokens) Get(ctx context.Context, op string) (string, error) {
	cur := t.current()
	if cur != nil && t.Now().Before(cur.RefreshAt) {
		return cur.Value, nil
	}
	used := ""
	if cur != nil {
		used = cur.Value
	}
	return t.renew(ctx, used, false, op)
}

// Refused renews a token the backend refused.
func (t *Tokens) Refused(ctx context.Context, token, op string) (string, error) {
	return t.renew(ctx, token, true, op)
}

// Forget drops the held token and returns it (nil when none was held): the
// next Get renews.
func (t *Tokens) Forget() *Token {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.cur
	t.cur = nil
	return cur
}

func (t *Tokens) current() *Token {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cur
}

// renew replaces the token that was used (empty for none).
func (t *Tokens) renew(ctx context.Context, used string, refused bool, op string) (string, error) {
	ch := t.flight.DoChan("token", func() (any, error) {
		cur := t.current()
		if cur != nil && cur.Value != used && t.Now().Before(cur.RefreshAt) {
			return cur.Value, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.Timeout)
		defer cancel()
		refusedToken := ""
		if refused {
			refusedToken = used
		}
		tok, err := t.Fetch(fctx, cur, refusedToken)
		t.observe(err)
		if err != nil {
			if !refused && cur != nil && t.Now().Before(cur.Expires) {
				t.Log.WarnContext(ctx, t.Service+": token renewal failed, using the current token until it expires", "err", err, "expires", cur.Expires)
				return cur.Value, nil
			}
			return nil, err
		}
		t.mu.Lock()
		t.cur = tok
		t.mu.Unlock()
		return tok.Value, nil
	})
	return Shared(ctx, ch, t.Service, op)
}

// observe reports one token acquisition.
func (t *Tokens) observe(err error) {
	if t.Observer == nil {
		return
	}
	result := "success"
	if err != nil {
		result = "failure"
	}
	t.Observer.ObserveToken(t.Service, result)
}
