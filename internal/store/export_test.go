package store

// SetLimit sets how many bytes m holds at most (MemoryLimit by default), so
// that a test can fill it.
func (m *Memory) SetLimit(maxBytes int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.maxBytes = maxBytes
}
