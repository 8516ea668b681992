package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestMemoryClaimExpires(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := store.NewMemory(c.now)

	steps := []struct {
		name        string
		advance     time.Duration
		wantClaimed bool
		wantLeft    time.Duration
	}{
		{"first claim wins", 0, true, 0},
		{"second claim refused with time left", 10 * time.Second, false, 50 * time.Second},
		{"still refused just before expiry", 49 * time.Second, false, time.Second},
		{"claimable again at expiry", time.Second, true, 0},
	}
	for _, s := range steps {
		c.advance(s.advance)
		claimed, left, err := m.Claim(ctx, "org:1", time.Minute)
		if err != nil || claimed != s.wantClaimed || left != s.wantLeft {
			t.Fatalf("%s: Claim = %v, %v, %v; want %v, %v", s.name, claimed, left, err, s.wantClaimed, s.wantLeft)
		}
	}
	if left, found, _ := m.TTL(ctx, "org:1"); !found || left != time.Minute {
		t.Fatalf("TTL = %v, %v; want 1m, true", left, found)
	}
	if err := m.Delete(ctx, "org:1"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := m.TTL(ctx, "org:1"); found {
		t.Fatal("TTL after Delete: still found")
	}
	if claimed, _, _ := m.Claim(ctx, "org:1", time.Minute); !claimed {
		t.Fatal("Claim after Delete refused")
	}
}

func TestMemoryClaimIsAtomic(t *testing.T) {
	m := store.NewMemory(nil)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _, _ := m.Claim(context.Background(), "job:x", time.Minute); ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Fatalf("%d concurrent claims won; want exactly 1", got)
	}
}

func TestMemorySweepsExpired(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Unix(0, 0)}
	m := store.NewMemory(c.now)
	for i := range 5000 {
		if _, _, err := m.Claim(ctx, fmt.Sprint(i), time.Second); err != nil {
			t.Fatal(err)
		}
		c.advance(10 * time.Millisecond)
	}
	// Every entry older than a second is gone: claims on the oldest keys succeed.
	if ok, _, _ := m.Claim(ctx, "0", time.Second); !ok {
		t.Fatal("expired key 0 still claimed")
	}
	if ok, _, _ := m.Claim(ctx, "4999", time.Second); ok {
		t.Fatal("live key 4999 claimable twice")
	}
}
