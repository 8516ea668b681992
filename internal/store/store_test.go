package store_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/store/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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

// stores runs f against each implementation: Memory, and Redis on a real
// redis-server of its own.
func stores(t *testing.T, f func(t *testing.T, st store.Store)) {
	t.Run("memory", func(t *testing.T) { f(t, store.NewMemory(nil)) })
	t.Run("redis", func(t *testing.T) {
		_, r := redisStore(t)
		f(t, r)
	})
}

// redisStore is a Redis store on a redis-server of its own, both stopped
// when the test ends.
func redisStore(t *testing.T) (*redistest.Server, *store.Redis) {
	t.Helper()
	srv := redistest.Start(t)
	r, err := store.NewRedis(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return srv, r
}

// TestClaimBelongsToItsOwner: a claim is refused while held, with the time
// it still has; only its owner's value releases or renews it.
func TestClaimBelongsToItsOwner(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		if ok, _, err := st.Claim(ctx, "cooldown:a", "req-1", time.Minute); err != nil || !ok {
			t.Fatalf("first claim = %v, %v; want claimed", ok, err)
		}
		ok, left, err := st.Claim(ctx, "cooldown:a", "req-2", time.Minute)
		if err != nil || ok || left <= 50*time.Second || left > time.Minute {
			t.Fatalf("second claim = %v, %v, %v; want refused with about 1m left", ok, left, err)
		}
		if v, left, found, err := st.Get(ctx, "cooldown:a"); err != nil || !found || v != "req-1" || left <= 50*time.Second {
			t.Fatalf("Get = %q, %v, %v, %v; want req-1 with about 1m left", v, left, found, err)
		}
		if ok, err := st.Release(ctx, "cooldown:a", "req-2"); err != nil || ok {
			t.Fatalf("release by another request = %v, %v; want refused", ok, err)
		}
		if ok, err := st.Replace(ctx, "cooldown:a", "req-2", "req-2", time.Hour); err != nil || ok {
			t.Fatalf("renew by another request = %v, %v; want refused", ok, err)
		}
		if ok, err := st.Replace(ctx, "cooldown:a", "req-1", "req-1", time.Hour); err != nil || !ok {
			t.Fatalf("renew by its owner = %v, %v; want done", ok, err)
		}
		if _, left, _, _ := st.Get(ctx, "cooldown:a"); left <= 59*time.Minute {
			t.Fatalf("after renewal %v left; want about 1h", left)
		}
		if ok, err := st.Release(ctx, "cooldown:a", "req-1"); err != nil || !ok {
			t.Fatalf("release by its owner = %v, %v; want done", ok, err)
		}
		if _, _, found, _ := st.Get(ctx, "cooldown:a"); found {
			t.Fatal("released claim still found")
		}
		if ok, _, _ := st.Claim(ctx, "cooldown:a", "req-3", time.Minute); !ok {
			t.Fatal("claim after release refused")
		}
		if ok, _ := st.Replace(ctx, "absent", "", "x", time.Minute); ok {
			t.Fatal("Replace created an absent key")
		}
		if _, _, found, err := st.Get(ctx, "absent"); found || err != nil {
			t.Fatalf("Get(absent) = %v, %v", found, err)
		}
	})
}

// TestClaimIsAtomic: of 200 concurrent claims of one key, exactly one wins.
func TestClaimIsAtomic(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Go(func() {
				ok, _, err := st.Claim(context.Background(), "job:x", fmt.Sprint(i), time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if got := wins.Load(); got != 1 {
			t.Fatalf("%d concurrent claims won; want exactly 1", got)
		}
	})
}

// TestCountIsAFixedWindow: concurrent counts each get their own number; the
// window's remaining time is reported.
func TestCountIsAFixedWindow(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		var wg sync.WaitGroup
		seen := make([]atomic.Bool, 101)
		for range 100 {
			wg.Go(func() {
				n, reset, err := st.Count(context.Background(), "rate:c", time.Minute)
				if err != nil || n < 1 || n > 100 || reset <= 0 || reset > time.Minute {
					t.Errorf("Count = %d, %v, %v", n, reset, err)
					return
				}
				if seen[n].Swap(true) {
					t.Errorf("count %d handed out twice", n)
				}
			})
		}
		wg.Wait()
		if n, _, _ := st.Count(context.Background(), "rate:c", time.Minute); n != 101 {
			t.Fatalf("101st count = %d", n)
		}
		if n, _, _ := st.Count(context.Background(), "rate:other", time.Minute); n != 1 {
			t.Fatalf("another key's first count = %d", n)
		}
	})
}

func TestMemoryExpiry(t *testing.T) {
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
		claimed, left, err := m.Claim(ctx, "org:1", "v", time.Minute)
		if err != nil || claimed != s.wantClaimed || left != s.wantLeft {
			t.Fatalf("%s: Claim = %v, %v, %v; want %v, %v", s.name, claimed, left, err, s.wantClaimed, s.wantLeft)
		}
	}
	for i := 1; i <= 3; i++ {
		if n, reset, _ := m.Count(ctx, "r", time.Minute); n != i || reset != time.Minute {
			t.Fatalf("count %d = %d, %v", i, n, reset)
		}
	}
	c.advance(time.Minute)
	if n, _, _ := m.Count(ctx, "r", time.Minute); n != 1 {
		t.Fatalf("first count of a new window = %d; want 1", n)
	}
}

func TestMemorySweepsExpired(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Unix(0, 0)}
	m := store.NewMemory(c.now)
	for i := range 5000 {
		if _, _, err := m.Claim(ctx, fmt.Sprint(i), "v", time.Second); err != nil {
			t.Fatal(err)
		}
		c.advance(10 * time.Millisecond)
	}
	if ok, _, _ := m.Claim(ctx, "0", "v", time.Second); !ok {
		t.Fatal("expired key 0 still claimed")
	}
	if ok, _, _ := m.Claim(ctx, "4999", "v", time.Second); ok {
		t.Fatal("live key 4999 claimable twice")
	}
}

// TestRedisKeysExpireAndAreNamespaced: entries written through the store
// live under syncgate: with the time to live asked for.
func TestRedisKeysExpireAndAreNamespaced(t *testing.T) {
	srv, r := redisStore(t)
	ctx := context.Background()
	if ok, _, err := r.Claim(ctx, "cooldown:x", "v", 150*time.Millisecond); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if got := redisCommand(t, srv.Addr(), "EXISTS", "syncgate:cooldown:x"); got != ":1" {
		t.Fatalf("EXISTS syncgate:cooldown:x = %s; want :1", got)
	}
	time.Sleep(300 * time.Millisecond)
	if ok, _, err := r.Claim(ctx, "cooldown:x", "w", time.Minute); err != nil || !ok {
		t.Fatalf("claim after the ttl = %v, %v; want claimed", ok, err)
	}
}

// TestRedisDownAndBack: with Redis stopped every call fails with
// ErrUnavailable, quickly; started again, the same client works.
func TestRedisDownAndBack(t *testing.T) {
	srv, r := redisStore(t)
	ctx := context.Background()
	if err := r.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	calls := map[string]func() error{
		"Claim":   func() error { _, _, err := r.Claim(ctx, "k", "v", time.Minute); return err },
		"Get":     func() error { _, _, _, err := r.Get(ctx, "k"); return err },
		"Replace": func() error { _, err := r.Replace(ctx, "k", "v", "w", time.Minute); return err },
		"Release": func() error { _, err := r.Release(ctx, "k", "v"); return err },
		"Count":   func() error { _, _, err := r.Count(ctx, "k", time.Minute); return err },
		"Ping":    func() error { return r.Ping(ctx) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s with Redis down: %v; want ErrUnavailable", name, err)
		}
	}
	srv.Start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, _, err := r.Claim(ctx, "k", "v", time.Minute)
		if err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis back, the client still fails: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestNewRedisNeverQuotesTheURL(t *testing.T) {
	_, err := store.NewRedis("redis://:hunter2@[::1")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("NewRedis error = %v; want one without the password", err)
	}
}

// redisCommand sends one inline command and returns the reply's first line.
func redisCommand(t *testing.T, addr string, args ...string) string {
	t.Helper()
	out, err := redistest.Command(addr, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRedisTLS: a rediss:// URL speaks TLS to a redis-server that accepts
// only TLS, verifying its certificate against the system roots
// (SSL_CERT_FILE here adds the test CA, as an operator would add a private
// one); a server whose certificate no root vouches for is refused.
func TestRedisTLS(t *testing.T) {
	trusted, untrusted := tlsFiles(t), tlsFiles(t)
	t.Setenv("SSL_CERT_FILE", trusted.CAFile) // the system roots, read at first use
	ctx := context.Background()

	srv := redistest.StartTLS(t, trusted)
	r, err := store.NewRedis(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if ok, _, err := r.Claim(ctx, "cooldown:tls", "v", time.Minute); err != nil || !ok {
		t.Fatalf("claim over rediss:// = %v, %v", ok, err)
	}
	plain, err := store.NewRedis(strings.Replace(srv.URL(), "rediss://", "redis://", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if err := plain.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("plain redis:// to a TLS-only server: %v; want ErrUnavailable", err)
	}

	other := redistest.StartTLS(t, untrusted)
	r2, err := store.NewRedis(other.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	var unknown x509.UnknownAuthorityError
	if err := r2.Ping(ctx); !errors.Is(err, store.ErrUnavailable) || !errors.As(err, &unknown) {
		t.Fatalf("rediss:// to a server signed by an unknown CA: %v; want the certificate refused", err)
	}
}

// tlsFiles writes a new CA, and a certificate it signed for localhost, as
// PEM files.
func tlsFiles(t *testing.T) redistest.TLSFiles {
	t.Helper()
	ca, err := sim.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	srvTLS, err := ca.ServerTLS()
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.MarshalPKCS8PrivateKey(srvTLS.Certificates[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := redistest.TLSFiles{CertFile: dir + "/cert.pem", KeyFile: dir + "/key.pem", CAFile: dir + "/ca.pem"}
	for name, data := range map[string][]byte{
		files.CertFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvTLS.Certificates[0].Certificate[0]}),
		files.KeyFile:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}),
		files.CAFile:   ca.PEM,
	} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// TestMemoryIsBounded: a Memory store holds at most its limit of keys and
// values; past it a write fails as an unreachable store's would (a start
// then fails closed), what is there stays, and room comes back as entries
// are released or expire.
func TestMemoryIsBounded(t *testing.T) {
	ctx := t.Context()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := store.NewMemory(c.now)
	m.SetLimit(10 * 200) // about ten entries of these keys
	claimed := 0
	var err error
	for i := 0; i < 1000; i++ {
		var ok bool
		ok, _, err = m.Claim(ctx, fmt.Sprintf("syncgate:idempotency:caller:key-%04d", i), "owner", time.Minute)
		if err != nil {
			break
		}
		if !ok {
			t.Fatalf("key %d: not claimed", i)
		}
		claimed++
	}
	if !errors.Is(err, store.ErrUnavailable) || claimed == 0 || claimed > 20 {
		t.Fatalf("after %d claims: %v; want a bounded store refusing with ErrUnavailable", claimed, err)
	}
	if _, _, err := m.Count(ctx, "syncgate:ratelimit:another-caller", time.Minute); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("count in a full store: %v; want ErrUnavailable", err)
	}
	if v, _, found, _ := m.Get(ctx, "syncgate:idempotency:caller:key-0000"); !found || v != "owner" {
		t.Fatalf("first claim after the refusal: %q found %v; want it kept", v, found)
	}
	if ok, _ := m.Release(ctx, "syncgate:idempotency:caller:key-0000", "owner"); !ok {
		t.Fatal("release refused")
	}
	if ok, _, err := m.Claim(ctx, "syncgate:idempotency:caller:key-new1", "owner", time.Minute); !ok || err != nil {
		t.Fatalf("claim after a release: %v %v; want room again", ok, err)
	}
	c.advance(2 * time.Minute)
	for i := 0; i < claimed; i++ {
		if ok, _, err := m.Claim(ctx, fmt.Sprintf("syncgate:idempotency:caller:other-%04d", i), "owner", time.Minute); !ok || err != nil {
			t.Fatalf("claim %d after every entry expired: %v %v", i, ok, err)
		}
	}
}
