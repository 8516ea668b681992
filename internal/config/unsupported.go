package config

// Unsupported returns an *Error naming every setting of c that this build
// reads and checks but does not act on yet (a shared Redis store, a caller
// rate limit), or nil. A setting that is read must act: a gateway
// that started with SYNCGATE_REDIS_URL set would let each replica claim its
// own cooldowns, the very double start the guard is there to prevent, so
// the wiring refuses to start instead.
func (c *Config) Unsupported() error {
	var problems []Problem
	if c.RedisURL.Reveal() != "" {
		problems = append(problems, Problem{Var: envRedisURL, Reason: "not supported yet: cooldown claims live in this process's memory, so replicas would not share them; unset it and run one replica"})
	}
	if c.RateLimit != "" {
		problems = append(problems, Problem{Var: envRateLimit, Reason: "not supported yet: no caller rate limit is applied; unset it"})
	}
	if len(problems) == 0 {
		return nil
	}
	return &Error{Problems: problems}
}
