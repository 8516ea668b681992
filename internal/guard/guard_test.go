package guard_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/upstream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// target is a fake upstream target counting the starts that reach it.
type target struct {
	state    guard.State
	checkErr error
	runErr   error
	starts   atomic.Int32
}

func (tg *target) start(key string, force, dry bool) guard.Start {
	return guard.Start{
		Key: key, Force: force, DryRun: dry,
		Precheck: func(context.Context) (guard.State, error) { return tg.state, tg.checkErr },
		Run: func(context.Context) error {
			tg.starts.Add(1)
			return tg.runErr
		},
	}
}

func TestPolicyDecisions(t *testing.T) {
	notFound := &upstream.Error{Service: "graph", Kind: upstream.KindNotFound}
	tests := []struct {
		name        string
		target      *target
		force, dry  bool
		wantStarts  int32
		wantReason  guard.Reason // refusal, as error (real) or in the outcome (dry run)
		wantErr     error
		wantStarted bool
	}{
		{name: "idle target starts", target: &target{state: guard.State{Status: "Paused"}}, wantStarts: 1, wantStarted: true},
		{name: "busy target refused", target: &target{state: guard.State{Status: "Active", Busy: true}}, wantReason: guard.Busy},
		{name: "busy target forced", target: &target{state: guard.State{Status: "Active", Busy: true}}, force: true, wantStarts: 1, wantStarted: true},
		{name: "ineligible refused even forced", target: &target{state: guard.State{Status: "NotConfigured", Ineligible: "not configured"}}, force: true, wantReason: guard.Ineligible},
		{name: "dry run starts nothing", target: &target{state: guard.State{Status: "Paused"}}, dry: true},
		{name: "dry run reports busy", target: &target{state: guard.State{Status: "Running", Busy: true}}, dry: true, wantReason: guard.Busy},
		{name: "precheck error passes through", target: &target{checkErr: notFound}, wantErr: notFound},
		{name: "run error passes through", target: &target{state: guard.State{Status: "Paused"}, runErr: notFound}, wantStarts: 1, wantErr: notFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := guard.New(store.NewMemory(nil), time.Minute)
			out, err := p.Start(context.Background(), tt.target.start("k", tt.force, tt.dry))
			var refusal *guard.Refusal
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v; want %v", err, tt.wantErr)
				}
			case tt.wantReason != 0 && !tt.dry:
				if !errors.As(err, &refusal) || refusal.Reason != tt.wantReason {
					t.Fatalf("err = %v; want refusal %v", err, tt.wantReason)
				}
			case tt.wantReason != 0 && tt.dry:
				if err != nil || out.Refusal == nil || out.Refusal.Reason != tt.wantReason {
					t.Fatalf("dry run = %+v, %v; want refusal %v in outcome", out, err, tt.wantReason)
				}
			default:
				if err != nil || out.Refusal != nil {
					t.Fatalf("Start = %+v, %v; want success", out, err)
				}
			}
			if got := tt.target.starts.Load(); got != tt.wantStarts {
				t.Errorf("upstream starts = %d; want %d", got, tt.wantStarts)
			}
			if out.Started != tt.wantStarted {
				t.Errorf("Started = %v; want %v", out.Started, tt.wantStarted)
			}
		})
	}
}

func TestPolicyCooldown(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p := guard.New(store.NewMemory(clock), time.Minute)
	tg := &target{state: guard.State{Status: "Paused"}}

	if _, err := p.Start(ctx, tg.start("job:a", false, false)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(20 * time.Second)
	mu.Unlock()

	// Forcing never skips the cooldown; a dry run reports it without claiming.
	for _, dry := range []bool{false, true} {
		out, err := p.Start(ctx, tg.start("job:a", true, dry))
		refusal := out.Refusal
		if !dry {
			errors.As(err, &refusal)
		}
		if refusal == nil || refusal.Reason != guard.Cooldown || refusal.RetryAfter != 40*time.Second {
			t.Fatalf("dry=%v: got %+v, %v; want cooldown with 40s left", dry, out, err)
		}
		if dry && (out.PreviousStatus != "Paused" || refusal.Status != "Paused") {
			t.Errorf("dry run in the cooldown: previous status %q, refusal status %q; want the target read (Paused)", out.PreviousStatus, refusal.Status)
		}
	}
	// Another target is not affected.
	if _, err := p.Start(ctx, tg.start("job:b", false, false)); err != nil {
		t.Fatalf("other target: %v", err)
	}
	if got := tg.starts.Load(); got != 2 {
		t.Fatalf("upstream starts = %d; want 2", got)
	}
}

func TestPolicyReleasesClaimWhenBackendRefused(t *testing.T) {
	ctx := context.Background()
	ok := &target{state: guard.State{Status: "Paused"}}
	// The backend did nothing (it throttled the start, or an open circuit
	// breaker never sent it), so the next try goes through at once.
	for _, kind := range []upstream.Kind{upstream.KindThrottled, upstream.KindCircuitOpen} {
		p := guard.New(store.NewMemory(nil), time.Minute)
		refused := &target{state: guard.State{Status: "Paused"}, runErr: &upstream.Error{Kind: kind}}
		if _, err := p.Start(ctx, refused.start("k", false, false)); !upstream.IsKind(err, kind) {
			t.Fatalf("err = %v; want %s", err, kind)
		}
		if _, err := p.Start(ctx, ok.start("k", false, false)); err != nil {
			t.Fatalf("retry after a start refused as %s: %v", kind, err)
		}
	}
	// A timeout leaves the outcome unknown: the claim stays.
	timedOut := &target{state: guard.State{Status: "Paused"}, runErr: &upstream.Error{Kind: upstream.KindTimeout}}
	p2 := guard.New(store.NewMemory(nil), time.Minute)
	p2.Start(ctx, timedOut.start("k", false, false))
	var refusal *guard.Refusal
	if _, err := p2.Start(ctx, ok.start("k", false, false)); !errors.As(err, &refusal) || refusal.Reason != guard.Cooldown {
		t.Fatalf("after a timed-out start: %v; want cooldown", err)
	}
}

func TestPolicyConcurrentStartsReachUpstreamOnce(t *testing.T) {
	p := guard.New(store.NewMemory(nil), time.Minute)
	tg := &target{state: guard.State{Status: "Paused"}}
	var wg sync.WaitGroup
	var refused atomic.Int32
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r *guard.Refusal
			if _, err := p.Start(context.Background(), tg.start("job:x", false, false)); errors.As(err, &r) {
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if tg.starts.Load() != 1 || refused.Load() != 199 {
		t.Fatalf("starts = %d, refused = %d; want 1 and 199", tg.starts.Load(), refused.Load())
	}
}

func TestPolicyWithoutCooldown(t *testing.T) {
	p := guard.New(store.NewMemory(nil), 0)
	tg := &target{state: guard.State{Status: "Paused"}}
	for range 3 {
		if _, err := p.Start(context.Background(), tg.start("k", false, false)); err != nil {
			t.Fatal(err)
		}
	}
	if tg.starts.Load() != 3 {
		t.Fatalf("starts = %d; want 3 with cooldown disabled", tg.starts.Load())
	}
}

// TestPolicyDoneAndNoCooldown: a target already as the action leaves it is
// not acted on (nor claimed); an action without cooldown neither claims one
// nor is held back by one.
func TestPolicyDoneAndNoCooldown(t *testing.T) {
	ctx := context.Background()
	p := guard.New(store.NewMemory(nil), time.Minute)
	done := &target{state: guard.State{Status: "Paused", Done: true}}
	for _, dry := range []bool{false, true} {
		out, err := p.Start(ctx, done.start("k", false, dry))
		if err != nil || !out.Done || out.Started || out.Refusal != nil || done.starts.Load() != 0 {
			t.Fatalf("dry=%v: %+v, %v, %d runs; want Done and nothing run", dry, out, err, done.starts.Load())
		}
	}
	idle := &target{state: guard.State{Status: "Paused"}}
	if _, err := p.Start(ctx, idle.start("k", false, false)); err != nil {
		t.Fatalf("the Done outcome claimed the cooldown: %v", err)
	}
	active := &target{state: guard.State{Status: "Active"}}
	for range 2 {
		s := active.start("k", false, false)
		s.NoCooldown = true
		if out, err := p.Start(ctx, s); err != nil || !out.Started {
			t.Fatalf("no-cooldown action in the cooldown: %+v, %v", out, err)
		}
	}
	if _, err := p.Start(ctx, idle.start("k", false, false)); !errors.As(err, new(*guard.Refusal)) {
		t.Fatalf("the cooldown is gone after no-cooldown actions: %v", err)
	}
}

// TestPolicyCooldownRunsFromTheUpstreamStart: a start whose retries took
// longer than the cooldown (5 s cooldown, 6 s of retries) renews its claim
// when the backend accepts, so a second start 3 s later is still refused.
func TestPolicyCooldownRunsFromTheUpstreamStart(t *testing.T) {
	ctx := context.Background()
	c := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	p := guard.New(store.NewMemory(c.now), 5*time.Second)
	slow := guard.Start{
		Key:      "job:a",
		Precheck: func(context.Context) (guard.State, error) { return guard.State{Status: "Paused"}, nil },
		Run:      func(context.Context) error { c.advance(6 * time.Second); return nil },
	}
	if out, err := p.Start(ctx, slow); err != nil || !out.Started {
		t.Fatalf("slow start = %+v, %v", out, err)
	}
	c.advance(3 * time.Second)
	tg := &target{state: guard.State{Status: "Paused"}}
	var refusal *guard.Refusal
	if _, err := p.Start(ctx, tg.start("job:a", false, false)); !errors.As(err, &refusal) || refusal.Reason != guard.Cooldown || refusal.RetryAfter != 2*time.Second {
		t.Fatalf("start 3 s after a slow start: %v; want cooldown with 2 s left", err)
	}
	c.advance(2 * time.Second)
	if _, err := p.Start(ctx, tg.start("job:a", false, false)); err != nil {
		t.Fatalf("start once the cooldown ran from the upstream start: %v", err)
	}
}

// TestPolicyReleasesOnlyItsOwnClaim: a start whose claim ran out while its
// backend call hung, and that then learns the backend refused, does not
// release the claim a second start took meanwhile.
func TestPolicyReleasesOnlyItsOwnClaim(t *testing.T) {
	ctx := context.Background()
	c := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	p := guard.New(store.NewMemory(c.now), 5*time.Second)
	second := &target{state: guard.State{Status: "Paused"}}
	first := guard.Start{
		Key:      "job:a",
		Precheck: func(context.Context) (guard.State, error) { return guard.State{Status: "Paused"}, nil },
		Run: func(ctx context.Context) error {
			c.advance(6 * time.Second) // the first claim ran out
			if _, err := p.Start(ctx, second.start("job:a", false, false)); err != nil {
				t.Errorf("second start while the first hangs past its claim: %v", err)
			}
			return &upstream.Error{Kind: upstream.KindThrottled}
		},
	}
	if _, err := p.Start(ctx, first); !upstream.IsKind(err, upstream.KindThrottled) {
		t.Fatalf("first start: %v; want throttled", err)
	}
	third := &target{state: guard.State{Status: "Paused"}}
	var refusal *guard.Refusal
	if _, err := p.Start(ctx, third.start("job:a", false, false)); !errors.As(err, &refusal) || refusal.Reason != guard.Cooldown {
		t.Fatalf("third start: %v; want the second start's cooldown", err)
	}
	if second.starts.Load() != 1 || third.starts.Load() != 0 {
		t.Fatalf("starts: second %d, third %d; want 1 and 0", second.starts.Load(), third.starts.Load())
	}
}

// TestPolicyStoreDownFailsClosed: when the store cannot be reached, a start
// is refused with ErrUnavailable and the backend is never called.
func TestPolicyStoreDownFailsClosed(t *testing.T) {
	p := guard.New(downStore{}, time.Minute)
	tg := &target{state: guard.State{Status: "Paused"}}
	for _, dry := range []bool{false, true} {
		if _, err := p.Start(context.Background(), tg.start("k", false, dry)); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("dry=%v: err = %v; want store.ErrUnavailable", dry, err)
		}
	}
	if tg.starts.Load() != 0 {
		t.Fatalf("upstream starts = %d with the store down; want 0", tg.starts.Load())
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// downStore is a store that cannot be reached.
type downStore struct{}

var errDown = fmt.Errorf("dial: connection refused: %w", store.ErrUnavailable)

func (downStore) Claim(context.Context, string, string, time.Duration) (bool, time.Duration, error) {
	return false, 0, errDown
}
func (downStore) Get(context.Context, string) (string, time.Duration, bool, error) {
	return "", 0, false, errDown
}
func (downStore) Replace(context.Context, string, string, string, time.Duration) (bool, error) {
	return false, errDown
}
func (downStore) Release(context.Context, string, string) (bool, error) { return false, errDown }
func (downStore) Count(context.Context, string, time.Duration) (int, time.Duration, error) {
	return 0, 0, errDown
}
func (downStore) Ping(context.Context) error { return errDown }
