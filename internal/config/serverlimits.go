package config

import "time"

const (
	// AnswerMargin is how long before the write timeout a request's context
	// ends (and before the shutdown grace ends, for requests still in
	// flight), so that its answer is written while the connection still
	// takes one.
	AnswerMargin = time.Second
	// defaultGraceNoWriteTimeout is the shutdown grace when neither it nor a
	// write timeout is set.
	defaultGraceNoWriteTimeout = 20 * time.Second
)

// serverLimits derives and checks what depends on several settings: the
// default shutdown grace covers the longest request (the write timeout), and
// a write timeout must leave time to answer after a backend timeout, or a
// silent backend would leave the caller with a closed connection.
func (l *loader) serverLimits(c *Config) {
	c.MaxConnections = l.integer(envMaxConnections, 1, 1<<20)
	if !l.isSet(envShutdownGrace) {
		c.ShutdownGrace = c.WriteTimeout
		if c.ShutdownGrace == 0 {
			c.ShutdownGrace = defaultGraceNoWriteTimeout
		}
	}
	if c.WriteTimeout <= 0 { // 0 disables it; negative is already a problem
		return
	}
	if c.WriteTimeout <= AnswerMargin {
		l.problem(envWriteTimeout, "%s leaves no time to answer: it must exceed %s", c.WriteTimeout, AnswerMargin)
		return
	}
	backends := []struct {
		name    string
		on      bool
		timeout time.Duration
	}{
		{envVeeamTimeout, c.Veeam.Enabled(), c.Veeam.Timeout},
		{envGraphTimeout, c.Graph.Enabled(), c.Graph.Timeout},
	}
	for _, b := range backends {
		if b.on && b.timeout+AnswerMargin >= c.WriteTimeout {
			l.problem(envWriteTimeout, "%s cannot answer after a backend timeout: it must exceed %s (%s) by more than %s",
				c.WriteTimeout, b.name, b.timeout, AnswerMargin)
		}
	}
}
