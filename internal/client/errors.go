package client

import (
	"encoding/json"
	"errors"
	"maps"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// APIError is a non-2xx answer of the API. Callers match it with errors.As;
// when retries ran out it is the last answer received.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code, Message and Details come from the error body when it has them.
	Code    string
	Message string
	Details []ErrorDetail
	// CorrelationID is the inin-correlation-id header (or the body's
	// contextId), the id Genesys Cloud support asks for.
	CorrelationID string
	// Method and Path say which request failed (the path has no query).
	Method string
	Path   string
	// Body is the raw body, read up to a bound, with credentials redacted.
	Body []byte
	// permissions are the missing permissions a 403 body names.
	permissions []string
	// RetryAfter is the answer's Retry-After (sent with 429s, sometimes
	// with 503s), if any.
	RetryAfter time.Duration
}

// MissingPermissions returns the permissions a 403 answer says the
// credentials lack, in the order the body names them, or nil when it
// names none (or the answer is not a 403).
func (e *APIError) MissingPermissions() []string {
	return slices.Clone(e.permissions)
}

// Error reads like "403 Forbidden (missing.permissions): message; missing
// permission authorization:orgTrustee:view [correlation id X]".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(e.Status))
	if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" " + t)
	}
	if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	var unnamed []string
	for _, p := range e.permissions {
		if !strings.Contains(e.Message, p) {
			unnamed = append(unnamed, p)
		}
	}
	switch len(unnamed) {
	case 0:
	case 1:
		b.WriteString("; missing permission " + unnamed[0])
	default:
		b.WriteString("; missing permissions " + strings.Join(unnamed, ", "))
	}
	if e.CorrelationID != "" {
		b.WriteString(" [correlation id " + e.CorrelationID + "]")
	}
	return b.String()
}

// IsNotFound reports whether err is (or wraps) an APIError with status 404.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsConflict reports whether err is (or wraps) an APIError with status 409.
func IsConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

func hasStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// maxErrorBody bounds how much of an error body is read and kept.
const maxErrorBody = 64 << 10

// newAPIError builds the error for a non-2xx answer; body is already
// bounded. The caller redacts it.
func newAPIError(method, path string, resp *http.Response, body []byte) *APIError {
	e := &APIError{
		Status:        resp.StatusCode,
		Method:        method,
		Path:          path,
		Body:          body,
		CorrelationID: cleanText(resp.Header.Get("inin-correlation-id")),
	}
	var eb ErrorBody
	if err := json.Unmarshal(body, &eb); err == nil {
		e.Code = cleanText(eb.Code)
		e.Message = cleanText(eb.Message)
		if e.Message == "" {
			e.Message = cleanText(expandParams(eb.MessageWithParams, eb.MessageParams))
		}
		e.Details = eb.Details
		if e.CorrelationID == "" {
			e.CorrelationID = cleanText(eb.ContextID)
		}
		if e.Status == http.StatusForbidden {
			e.permissions = missingPermissions(eb)
		}
	} else if len(body) > 0 {
		// Not JSON (a proxy's page, say): keep a short first line.
		line, _, _ := strings.Cut(string(body), "\n")
		e.Message = cleanText(line)
	}
	if e.Status >= 300 && e.Status < 400 {
		// Redirects are never followed (the token would travel along).
		e.Message = "redirect not followed"
		if loc, err := resp.Location(); err == nil {
			e.Message += " (to " + cleanText(loc.Scheme+"://"+loc.Host+loc.EscapedPath()) + ")"
		}
	}
	e.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return e
}

// cleanText makes service text safe and short for a one-line message.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	const max = 300
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// expandParams fills {name} placeholders of messageWithParams.
func expandParams(msg string, params map[string]string) string {
	for k, v := range params {
		msg = strings.ReplaceAll(msg, "{"+k+"}", v)
	}
	return msg
}

// permissionPattern matches a Genesys Cloud permission such as
// authorization:orgTrustee:view.
var permissionPattern = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9]*:[A-Za-z][A-Za-z0-9]*:[A-Za-z*][A-Za-z0-9*]*\b`)

// missingPermissions finds the permissions a 403 body names: in
// messageParams first (keys sorted), then in the message texts, then in
// the details; each once.
func missingPermissions(eb ErrorBody) []string {
	var out []string
	addAll := func(s string) {
		for _, p := range permissionPattern.FindAllString(s, -1) {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	keys := slices.Sorted(maps.Keys(eb.MessageParams))
	for _, k := range keys {
		if strings.Contains(strings.ToLower(k), "permission") {
			addAll(eb.MessageParams[k])
		}
	}
	if len(out) > 0 {
		return out
	}
	addAll(eb.Message)
	addAll(expandParams(eb.MessageWithParams, eb.MessageParams))
	if len(out) > 0 {
		return out
	}
	for _, d := range eb.Details {
		for _, s := range []string{d.EntityName, d.EntityID, d.ErrorCode} {
			addAll(s)
		}
	}
	return out
}

// UnmarshalJSON keeps whatever it can of an error body: each member is
// decoded on its own and one of an unexpected type is skipped (a number
// given as a string is read); messageParams values may be any JSON,
// non-strings kept as their JSON text; unknown members are ignored. Only
// a body that is not a JSON object fails.
func (eb *ErrorBody) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw == nil {
		return errors.New("error body is null")
	}
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(raw[k], &s)
		return s
	}
	*eb = ErrorBody{
		Message:           str("message"),
		Code:              str("code"),
		EntityID:          str("entityId"),
		EntityName:        str("entityName"),
		MessageWithParams: str("messageWithParams"),
		ContextID:         str("contextId"),
	}
	if v, ok := raw["status"]; ok {
		var n int
		if json.Unmarshal(v, &n) == nil {
			eb.Status = n
		} else if s := str("status"); s != "" {
			eb.Status, _ = strconv.Atoi(s)
		}
	}
	var params map[string]json.RawMessage
	if json.Unmarshal(raw["messageParams"], &params) == nil && len(params) > 0 {
		eb.MessageParams = make(map[string]string, len(params))
		for k, v := range params {
			var s string
			if json.Unmarshal(v, &s) == nil {
				eb.MessageParams[k] = s
			} else {
				eb.MessageParams[k] = string(v)
			}
		}
	}
	var details []json.RawMessage
	if json.Unmarshal(raw["details"], &details) == nil {
		for _, d := range details {
			var m map[string]json.RawMessage
			if json.Unmarshal(d, &m) != nil || m == nil {
				continue
			}
			s := func(k string) string {
				var v string
				_ = json.Unmarshal(m[k], &v)
				return v
			}
			eb.Details = append(eb.Details, ErrorDetail{ErrorCode: s("errorCode"), FieldName: s("fieldName"), EntityID: s("entityId"), EntityName: s("entityName")})
		}
	}
	var nested []json.RawMessage
	if json.Unmarshal(raw["errors"], &nested) == nil {
		for _, n := range nested {
			var e ErrorBody
			if json.Unmarshal(n, &e) == nil {
				eb.Errors = append(eb.Errors, e)
			}
		}
	}
	return nil
}

// maxRetryAfterHeader is the longest Retry-After taken at its word; a
// longer one (or one that is not a finite, non-negative number of seconds or
// a date) is treated as absent. A value that is accepted is still honoured
// for at most maxRetryAfter.
const maxRetryAfterHeader = 24 * time.Hour

// parseRetryAfter reads a Retry-After header: delay seconds (digits, with
// an optional fraction) or an HTTP date. It reports false for an absent,
// malformed, negative, non-finite or absurdly long value.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDecimal(v) {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(secs) || secs < 0 || secs > maxRetryAfterHeader.Seconds() {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d > maxRetryAfterHeader {
			return 0, false
		}
		return max(d, 0), true
	}
	return 0, false
}

// isDecimal reports whether s is digits with an optional fraction ("3",
// "1.5"): no sign, exponent, hex, underscores, NaN or Inf, which
// strconv.ParseFloat would accept.
func isDecimal(s string) bool {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	return allDigits(intPart) && (!hasFrac || allDigits(frac))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
