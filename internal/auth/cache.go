package auth

import (
	"crypto/sha256"
	"sync"
	"time"
	"unsafe"
)

// cacheProbe is how many entries an insertion into a full cache looks at for
// an expired one before it evicts the first it saw: eviction stays O(1).
const cacheProbe = 8

// tokenKey is the SHA-256 of a raw token, header, claims and signature
// included: two tokens share a key only if they are the same bytes, and the
// cache holds no token.
type tokenKey [sha256.Size]byte

func keyOf(raw string) tokenKey {
	// Sum256 only reads its input: hashing the string's bytes where they are
	// saves copying the token on every request.
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(raw), len(raw)))
}

// tokenCache remembers the principals of tokens that passed the whole
// verification (signature, algorithm, iss, aud, exp, nbf, iat and the claims'
// shape), so that a caller's next requests with the same token skip it. An
// entry lives until the token's exp, and never longer than maxAge after it was
// verified, so a key removed from the JWKS stops being honoured within maxAge.
// The cache holds at most size entries. It is safe for concurrent use.
type tokenCache struct {
	size   int
	maxAge time.Duration

	mu      sync.RWMutex
	entries map[tokenKey]cacheEntry
}

type cacheEntry struct {
	p     *Principal
	until time.Time // min(exp, verified + maxAge)
}

// newTokenCache returns a cache, or nil (no caching) when size or maxAge is
// not positive.
func newTokenCache(size int, maxAge time.Duration) *tokenCache {
	if size <= 0 || maxAge <= 0 {
		return nil
	}
	return &tokenCache{size: size, maxAge: maxAge, entries: make(map[tokenKey]cacheEntry, min(size, 1024))}
}

// get returns the principal of a token verified earlier whose entry has not
// expired at now.
func (c *tokenCache) get(k tokenKey, now time.Time) (*Principal, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	return e.p, true
}

// put remembers a verified token's principal until exp, and at most maxAge
// from now. A full cache first drops an expired entry among the few it looks
// at, or else the first of them (map order is random).
func (c *tokenCache) put(k tokenKey, p *Principal, exp, now time.Time) {
	until := now.Add(c.maxAge)
	if exp.Before(until) {
		until = exp
	}
	if !now.Before(until) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; !ok && len(c.entries) >= c.size {
		c.evict(now)
	}
	c.entries[k] = cacheEntry{p: p, until: until}
}

// evict removes expired entries among the first cacheProbe the map yields,
// or the first one when none had expired. The caller holds mu.
func (c *tokenCache) evict(now time.Time) {
	var first tokenKey
	seen, removed := 0, false
	for k, e := range c.entries {
		if seen == 0 {
			first = k
		}
		if !now.Before(e.until) {
			delete(c.entries, k)
			removed = true
		}
		if seen++; seen == cacheProbe {
			break
		}
	}
	if !removed {
		delete(c.entries, first)
	}
}

// len is the number of entries, expired ones included.
func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
