package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Prefix starts every key syncgate writes to Redis, so that it can share a
// Redis with other applications.
const Prefix = "syncgate:"

// The Redis client's defaults, each overridable by the URL's query parameter
// of the same name (go-redis's ParseURL): short, so that a start meets a
// Redis that is down with a fast 503 rather than a hanging request.
const (
	defaultDialTimeout  = 2 * time.Second
	defaultReadTimeout  = time.Second
	defaultWriteTimeout = time.Second
	defaultPoolTimeout  = 2 * time.Second
	defaultPoolSize     = 32
	defaultMinIdleConns = 2
	defaultMaxRetries   = 1
)

// Redis is a Store in a Redis server shared by every replica. Keys carry
// Prefix; a check-and-set is one SET NX or one Lua script, so it is atomic
// across replicas. The client reconnects by itself: a Redis that went away
// and came back serves the next call.
type Redis struct {
	client *redis.Client
	addr   string
}

var _ Store = (*Redis)(nil)

// NewRedis returns a Redis store for a redis:// or rediss:// URL
// (rediss:// speaks TLS 1.2 or later, verified against the system roots).
// It does not connect: the first call (or Ping) does.
func NewRedis(rawURL string) (*Redis, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// go-redis's message may quote the URL, password included.
		return nil, errors.New("store: the Redis URL cannot be parsed")
	}
	u, _ := url.Parse(rawURL)
	set := u.Query()
	def := func(name string, apply func()) {
		if !set.Has(name) {
			apply()
		}
	}
	def("dial_timeout", func() { opt.DialTimeout = defaultDialTimeout })
	def("read_timeout", func() { opt.ReadTimeout = defaultReadTimeout })
	def("write_timeout", func() { opt.WriteTimeout = defaultWriteTimeout })
	def("pool_timeout", func() { opt.PoolTimeout = defaultPoolTimeout })
	def("pool_size", func() { opt.PoolSize = defaultPoolSize })
	def("min_idle_conns", func() { opt.MinIdleConns = defaultMinIdleConns })
	def("max_retries", func() { opt.MaxRetries = defaultMaxRetries })
	// Contexts bound every call too (a start's deadline is the caller's).
	opt.ContextTimeoutEnabled = true
	// One dial per attempt: a Redis that refuses connections is down, and
	// a start waiting on it should hear so at once.
	opt.DialerRetries = 1
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	if opt.TLSConfig != nil {
		opt.TLSConfig.MinVersion = tls.VersionTLS12
	}
	return &Redis{client: redis.NewClient(opt), addr: opt.Addr}, nil
}

// Addr is the Redis server's host:port.
func (r *Redis) Addr() string { return r.addr }

// Close closes the client's connections.
func (r *Redis) Close() error { return r.client.Close() }

// The scripts: each check-and-set is one atomic step on the server.
var (
	// claimScript: SET NX PX, answering the remaining time when refused.
	claimScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then left = 0 end
return left`)
	// replaceScript: compare-and-set with a new time to live.
	replaceScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`)
	// releaseScript: compare-and-delete.
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)
	// countScript: a fixed-window counter; the first count opens the window.
	countScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if n == 1 or left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {n, left}`)
	// getScript: the value and its remaining time in one step.
	getScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then left = 0 end
return {v, left}`)
)

// ms is d in whole milliseconds, at least 1 (Redis refuses PX 0).
func ms(d time.Duration) int64 { return max(1, d.Milliseconds()) }

// wrap classifies a client error: every one means the store could not
// answer (a script error would be a bug, and fails closed the same way).
func wrap(op string, err error) error { return unavailable(op, err) }

// Claim implements Store with SET NX PX.
func (r *Redis) Claim(ctx context.Context, key, value string, ttl time.Duration) (bool, time.Duration, error) {
	left, err := claimScript.Run(ctx, r.client, []string{Prefix + key}, value, ms(ttl)).Int64()
	if err != nil {
		return false, 0, wrap("claim", err)
	}
	if left < 0 {
		return true, 0, nil
	}
	return false, time.Duration(left) * time.Millisecond, nil
}

// Get implements Store.
func (r *Redis) Get(ctx context.Context, key string) (string, time.Duration, bool, error) {
	res, err := getScript.Run(ctx, r.client, []string{Prefix + key}).Slice()
	if errors.Is(err, redis.Nil) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, wrap("get", err)
	}
	if len(res) != 2 {
		return "", 0, false, wrap("get", fmt.Errorf("unexpected reply %v", res))
	}
	v, _ := res[0].(string)
	left, _ := res[1].(int64)
	return v, time.Duration(left) * time.Millisecond, true, nil
}

// Replace implements Store with a compare-and-set script.
func (r *Redis) Replace(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error) {
	n, err := replaceScript.Run(ctx, r.client, []string{Prefix + key}, old, value, ms(ttl)).Int64()
	if err != nil {
		return false, wrap("replace", err)
	}
	return n == 1, nil
}

// Release implements Store with a compare-and-delete script.
func (r *Redis) Release(ctx context.Context, key, value string) (bool, error) {
	n, err := releaseScript.Run(ctx, r.client, []string{Prefix + key}, value).Int64()
	if err != nil {
		return false, wrap("release", err)
	}
	return n == 1, nil
}

// Count implements Store with INCR and PEXPIRE in one script.
func (r *Redis) Count(ctx context.Context, key string, window time.Duration) (int, time.Duration, error) {
	res, err := countScript.Run(ctx, r.client, []string{Prefix + key}, ms(window)).Int64Slice()
	if err != nil {
		return 0, 0, wrap("count", err)
	}
	if len(res) != 2 {
		return 0, 0, wrap("count", fmt.Errorf("unexpected reply %v", res))
	}
	return int(res[0]), time.Duration(res[1]) * time.Millisecond, nil
}

// Ping implements Store.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return wrap("ping", err)
	}
	return nil
}

// LogRedisTo sends go-redis's own log lines (such as a failed dial while
// Redis is down) to logger at debug level rather than to stderr: the
// gateway logs what a store failure meant for each request itself. The
// go-redis logger is process-wide, so call this once, at start.
func LogRedisTo(logger *slog.Logger) { redis.SetLogger(redisLog{logger}) }

type redisLog struct{ logger *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.logger.DebugContext(ctx, "redis client", "message", fmt.Sprintf(format, v...))
}
