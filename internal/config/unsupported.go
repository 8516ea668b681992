package config

// Unsupported returns an *Error naming every setting of c that this build
// reads and checks but does not act on yet (CORS), or nil. A setting that is
// read must act, so the wiring refuses to start instead.
func (c *Config) Unsupported() error {
	var problems []Problem
	if len(c.CORSOrigins) > 0 {
		problems = append(problems, Problem{Var: envCORSOrigins, Reason: "not supported yet: no CORS headers are sent; unset it"})
	}
	if len(problems) == 0 {
		return nil
	}
	return &Error{Problems: problems}
}
