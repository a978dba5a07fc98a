// Package printable keeps names safe to show in a plan. Names of orgs,
// users and roles come from other organizations (through the API) or from
// files; a control character or a bidirectional-formatting character in one
// could forge a line of a plan or hide part of it from a reviewer.
package printable

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// unsafe reports whether r could change how the text around it reads:
// control characters (newlines, escapes), line and paragraph separators,
// and bidirectional-formatting characters.
func unsafe(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Bidi_Control, unicode.Zl, unicode.Zp) ||
		r == unicode.ReplacementChar
}

// Safe reports whether s has no unsafe characters.
func Safe(s string) bool { return strings.IndexFunc(s, unsafe) < 0 }

// String returns s with every unsafe character replaced by its Go escape
// (`\n`, `\x1b`, `\u202e`), so it shows on one line as it is.
func String(s string) string {
	if Safe(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1: // a byte that is not UTF-8
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case unsafe(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}
