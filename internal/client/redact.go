package client

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// redacted replaces a credential in text the service returns.
const redacted = "[redacted]"

// redactor replaces the credentials a client holds (the client secret in
// every form it travels in, and every bearer token) with [redacted] in
// text the service returns, before that text reaches an error, a log line
// or a caller. A service that echoes the request (a proxy's error page, a
// token endpoint quoting the Basic header) thus never prints a secret.
type redactor struct {
	mu      sync.RWMutex
	secrets []string // longest first, so a form containing another goes first
}

// addClientSecret registers secret raw, URL-encoded (as in a form or the
// RFC 6749 Basic header) and inside the Basic header's base64, with and
// without the URL-encoding the header may apply to the id and secret.
func (r *redactor) addClientSecret(id, secret string) {
	if secret == "" {
		return
	}
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
	for _, pair := range []string{id + ":" + secret, url.QueryEscape(id) + ":" + url.QueryEscape(secret)} {
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			// Unpadded: the padded form contains it.
			forms = append(forms, enc.EncodeToString([]byte(pair)))
		}
	}
	r.add(forms...)
}

// minRedacted is the shortest credential redacted: a shorter one (no
// real token or secret is) cannot be told apart from ordinary text, and
// replacing it everywhere would garble every message.
const minRedacted = 8

// add registers credentials to redact; ones shorter than minRedacted are
// ignored.
func (r *redactor) add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) >= minRedacted && !slices.Contains(r.secrets, s) {
			r.secrets = append(r.secrets, s)
		}
	}
	slices.SortStableFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
}

// String returns s with every registered credential replaced.
func (r *redactor) String(s string) string {
	if r == nil || s == "" {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, sec := range r.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}

// Bytes returns b with every registered credential replaced; b itself is
// returned when it holds none.
func (r *redactor) Bytes(b []byte) []byte {
	if r == nil || len(b) == 0 {
		return b
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, sec := range r.secrets {
		if bytes.Contains(b, []byte(sec)) {
			b = bytes.ReplaceAll(b, []byte(sec), []byte(redacted))
		}
	}
	return b
}

// apiError redacts every text of e in place and returns it.
func (r *redactor) apiError(e *APIError) *APIError {
	if r == nil || e == nil {
		return e
	}
	e.Code = r.String(e.Code)
	e.Message = r.String(e.Message)
	e.CorrelationID = r.String(e.CorrelationID)
	e.Body = r.Bytes(e.Body)
	for i, p := range e.permissions {
		e.permissions[i] = r.String(p)
	}
	for i := range e.Details {
		d := &e.Details[i]
		d.ErrorCode, d.FieldName = r.String(d.ErrorCode), r.String(d.FieldName)
		d.EntityID, d.EntityName = r.String(d.EntityID), r.String(d.EntityName)
	}
	return e
}
