// Package ids holds the one check of the identifier shapes syncgate accepts
// from callers, configuration and backends alike.
package ids

// IsGUID reports whether s is a GUID in its 8-4-4-4-12 hexadecimal form
// (either case), such as an organization, application, tenant or client id.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
