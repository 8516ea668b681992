// Package store is the small TTL key-value store behind what replicas must
// share: cooldown claims, idempotency records and rate-limit counters. Memory
// (in-process, the default) serves one replica; Redis (NewRedis) is shared by
// every replica pointed at it, so they behave as one.
//
// Every value is a string owned by whoever wrote it: Claim writes only an
// absent key, Replace and Release act only while the value is still the one
// the caller wrote (compare-and-set, compare-and-delete), so a request can
// never release or overwrite what another request holds.
package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Store is a key-value store whose entries expire. Its errors wrap
// ErrUnavailable when the store cannot be reached.
type Store interface {
	// Claim sets key to value with the given time to live only if key is
	// absent, and reports whether it did. When it did not, remaining is how
	// long the existing entry still lives. The check and the set are one
	// atomic step.
	Claim(ctx context.Context, key, value string, ttl time.Duration) (claimed bool, remaining time.Duration, err error)
	// Get returns key's value and how long it still lives; found is false
	// when it is absent.
	Get(ctx context.Context, key string) (value string, remaining time.Duration, found bool, err error)
	// Replace sets key to value with a new time to live only while its
	// current value is old, and reports whether it did (an absent or
	// changed key is left alone). Replace(k, v, v, ttl) renews v's claim.
	Replace(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error)
	// Release deletes key only while its value is value (its owner's), and
	// reports whether it did.
	Release(ctx context.Context, key, value string) (bool, error)
	// Count adds one to key's counter in the fixed window of the given
	// length that the first count opened, and returns the count so far in
	// that window and how long until it closes.
	Count(ctx context.Context, key string, window time.Duration) (n int, reset time.Duration, err error)
	// Ping reports whether the store can be reached.
	Ping(ctx context.Context) error
}

// ErrUnavailable is wrapped by every error of a store that cannot be reached
// or did not answer in time.
var ErrUnavailable = errors.New("store unavailable")

// unavailable wraps err, from operation op, as ErrUnavailable.
func unavailable(op string, err error) error {
	return fmt.Errorf("store: %s: %w: %w", op, ErrUnavailable, err)
}

// MemoryLimit is how many bytes of keys and values a Memory store holds at
// most (each entry counted with entryOverhead more): an authenticated caller
// sending a new Idempotency-Key with every request cannot grow the process
// without bound. A full store answers as an unreachable one would, so starts
// fail closed (503 store-unavailable) until entries expire.
const MemoryLimit = 256 << 20

// entryOverhead is what an entry costs beyond its key and value (the map's
// slot, the entry struct, the strings' headers), roughly.
const entryOverhead = 96

// errFull is the cause of a write a full Memory store refuses.
var errFull = errors.New("memory store full")

// Memory is an in-process Store of at most MemoryLimit bytes. Expired
// entries are dropped when touched and swept when the map grows.
type Memory struct {
	now func() time.Time

	mu       sync.Mutex
	entries  map[string]entry
	sweepAt  int
	bytes    int // of the entries, by size
	maxBytes int
}

type entry struct {
	value string
	n     int
	exp   time.Time
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory store. now may be nil (time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, entries: map[string]entry{}, sweepAt: 1024, maxBytes: MemoryLimit}
}

// size is what the entry of key with value counts against the limit.
func size(key, value string) int { return len(key) + len(value) + entryOverhead }

// live returns key's entry unless it is absent or expired; m.mu is held.
func (m *Memory) live(key string, now time.Time) (entry, bool) {
	e, ok := m.entries[key]
	if !ok {
		return entry{}, false
	}
	if !now.Before(e.exp) {
		m.drop(key, e)
		return entry{}, false
	}
	return e, true
}

// drop deletes key's entry e; m.mu is held.
func (m *Memory) drop(key string, e entry) {
	delete(m.entries, key)
	m.bytes -= size(key, e.value)
}

// set stores e under key, replacing what live found there (old, if found),
// unless the store would go over its limit even once swept; m.mu is held.
func (m *Memory) set(op, key string, e entry, old entry, found bool, now time.Time) error {
	grow := size(key, e.value)
	if found {
		grow -= size(key, old.value)
	}
	if m.bytes+grow > m.maxBytes {
		m.sweep(now)
		if m.bytes+grow > m.maxBytes {
			return unavailable(op, errFull)
		}
	}
	m.entries[key] = e
	m.bytes += grow
	if len(m.entries) >= m.sweepAt {
		m.sweep(now)
	}
	return nil
}

// Claim implements Store.
func (m *Memory) Claim(_ context.Context, key, value string, ttl time.Duration) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if e, ok := m.live(key, now); ok {
		return false, e.exp.Sub(now), nil
	}
	if err := m.set("claim", key, entry{value: value, exp: now.Add(ttl)}, entry{}, false, now); err != nil {
		return false, 0, err
	}
	return true, 0, nil
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) (string, time.Duration, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	e, ok := m.live(key, now)
	if !ok {
		return "", 0, false, nil
	}
	return e.value, e.exp.Sub(now), true, nil
}

// Replace implements Store.
func (m *Memory) Replace(_ context.Context, key, old, value string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	e, ok := m.live(key, now)
	if !ok || e.value != old {
		return false, nil
	}
	if err := m.set("replace", key, entry{value: value, exp: now.Add(ttl)}, e, true, now); err != nil {
		return false, err
	}
	return true, nil
}

// Release implements Store.
func (m *Memory) Release(_ context.Context, key, value string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.live(key, m.now())
	if !ok || e.value != value {
		return false, nil
	}
	m.drop(key, e)
	return true, nil
}

// Count implements Store.
func (m *Memory) Count(_ context.Context, key string, window time.Duration) (int, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	old, ok := m.live(key, now)
	e := old
	if !ok {
		e = entry{exp: now.Add(window)}
	}
	e.n++
	if err := m.set("count", key, e, old, ok, now); err != nil {
		return 0, 0, err
	}
	return e.n, e.exp.Sub(now), nil
}

// Ping implements Store: memory is always there.
func (m *Memory) Ping(context.Context) error { return nil }

// sweep drops expired entries and sets the next sweep at twice the live size,
// so sweeping stays amortised O(1) per insert.
func (m *Memory) sweep(now time.Time) {
	for k, e := range m.entries {
		if !now.Before(e.exp) {
			m.drop(k, e)
		}
	}
	m.sweepAt = max(1024, 2*len(m.entries))
}
