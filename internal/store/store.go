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

// Memory is an in-process Store. Expired entries are dropped when touched
// and swept when the map grows.
type Memory struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]entry
	sweepAt int
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
	return &Memory{now: now, entries: map[string]entry{}, sweepAt: 1024}
}

// live returns key's entry unless it is absent or expired; m.mu is held.
func (m *Memory) live(key string, now time.Time) (entry, bool) {
	e, ok := m.entries[key]
	if !ok {
		return entry{}, false
	}
	if !now.Before(e.exp) {
		delete(m.entries, key)
		return entry{}, false
	}
	return e, true
}

// set stores e under key; m.mu is held.
func (m *Memory) set(key string, e entry, now time.Time) {
	m.entries[key] = e
	if len(m.entries) >= m.sweepAt {
		m.sweep(now)
	}
}

// Claim implements Store.
func (m *Memory) Claim(_ context.Context, key, value string, ttl time.Duration) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if e, ok := m.live(key, now); ok {
		return false, e.exp.Sub(now), nil
	}
	m.set(key, entry{value: value, exp: now.Add(ttl)}, now)
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
	if e, ok := m.live(key, now); !ok || e.value != old {
		return false, nil
	}
	m.entries[key] = entry{value: value, exp: now.Add(ttl)}
	return true, nil
}

// Release implements Store.
func (m *Memory) Release(_ context.Context, key, value string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.live(key, m.now()); !ok || e.value != value {
		return false, nil
	}
	delete(m.entries, key)
	return true, nil
}

// Count implements Store.
func (m *Memory) Count(_ context.Context, key string, window time.Duration) (int, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	e, ok := m.live(key, now)
	if !ok {
		e = entry{exp: now.Add(window)}
	}
	e.n++
	m.set(key, e, now)
	return e.n, e.exp.Sub(now), nil
}

// Ping implements Store: memory is always there.
func (m *Memory) Ping(context.Context) error { return nil }

// sweep drops expired entries and sets the next sweep at twice the live size,
// so sweeping stays amortised O(1) per insert.
func (m *Memory) sweep(now time.Time) {
	for k, e := range m.entries {
		if !now.Before(e.exp) {
			delete(m.entries, k)
		}
	}
	m.sweepAt = max(1024, 2*len(m.entries))
}
