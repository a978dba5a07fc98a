package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
)

// newUUID returns a random (version 4, RFC 9562) UUID in canonical form.
func newUUID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error on supported platforms; it
	// crashes the program instead of handing out predictable bytes.
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40 // version 4
	b[8] = (b[8] & 0x3f) | 0x80 // variant 10
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// isUUID reports whether s is a UUID in canonical 8-4-4-4-12 hex form
// (either letter case).
func isUUID(s string) bool {
	return uuidPattern.MatchString(strings.ToLower(s))
}

// newToken returns an opaque random access token.
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
