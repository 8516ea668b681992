// Package store is the small TTL key-value store behind cooldown claims (and,
// later, idempotency records and rate-limit counters). Memory, in-process, is
// the only implementation so far: cooldowns hold per replica. A store shared
// by replicas (Redis) is to come behind the same interface.
package store

import (
	"context"
	"sync"
	"time"
)

// Store is a key-value store whose entries expire.
type Store interface {
	// Claim sets key with the given time to live only if it is absent, and
	// reports whether it did. When it did not, remaining is how long the
	// existing entry still lives. The check and the set are one atomic step.
	Claim(ctx context.Context, key string, ttl time.Duration) (claimed bool, remaining time.Duration, err error)
	// TTL reports how long key still lives; found is false when it is absent.
	TTL(ctx context.Context, key string) (remaining time.Duration, found bool, err error)
	// Delete removes key; removing an absent key is not an error.
	Delete(ctx context.Context, key string) error
}

// Memory is an in-process Store. Expired entries are dropped when touched
// and swept when the map grows.
type Memory struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]time.Time // key → expiry
	sweepAt int
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory store. now may be nil (time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, entries: map[string]time.Time{}, sweepAt: 1024}
}

// Claim implements Store.
func (m *Memory) Claim(_ context.Context, key string, ttl time.Duration) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if exp, ok := m.entries[key]; ok && now.Before(exp) {
		return false, exp.Sub(now), nil
	}
	m.entries[key] = now.Add(ttl)
	if len(m.entries) >= m.sweepAt {
		m.sweep(now)
	}
	return true, 0, nil
}

// TTL implements Store.
func (m *Memory) TTL(_ context.Context, key string) (time.Duration, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	exp, ok := m.entries[key]
	if !ok {
		return 0, false, nil
	}
	if !now.Before(exp) {
		delete(m.entries, key)
		return 0, false, nil
	}
	return exp.Sub(now), true, nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, key)
	return nil
}

// sweep drops expired entries and sets the next sweep at twice the live size,
// so sweeping stays amortised O(1) per insert.
func (m *Memory) sweep(now time.Time) {
	for k, exp := range m.entries {
		if !now.Before(exp) {
			delete(m.entries, k)
		}
	}
	m.sweepAt = max(1024, 2*len(m.entries))
}
