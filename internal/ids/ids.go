// Package ids knows the one shape of Genesys Cloud ids.
package ids

// IsUUID reports whether s is 32 hex digits (either case) in groups of
// 8-4-4-4-12, the form of every Genesys Cloud id.
func IsUUID(s string) bool {
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
