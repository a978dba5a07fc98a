package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
)

// apiError is a non-2xx answer; answer turns it into an ErrorBody.
type apiError struct {
	Status  int
	Code    string
	Message string
	// MessageWithParams is Message with {name} placeholders; "" means
	// Message.
	MessageWithParams string
	Details           []errorDetail
	Params            map[string]string
	RetryAfter        int // seconds, for a 429
	// Allow lists the methods the path supports, for a 405; answer sends
	// them in the Allow header.
	Allow []string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// body renders the ErrorBody with the request's correlation id.
func (e *apiError) body(corr string) errorBody {
	params := e.Params
	if params == nil {
		params = map[string]string{}
	}
	withParams := e.MessageWithParams
	if withParams == "" {
		withParams = e.Message
	}
	return errorBody{
		Message:           e.Message,
		Code:              e.Code,
		Status:            e.Status,
		MessageWithParams: withParams,
		MessageParams:     params,
		ContextID:         corr,
		Details:           nonNil(e.Details),
		Errors:            []errorBody{},
	}
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "bad.request", Message: fmt.Sprintf(format, args...)}
}

// invalidField is a 400 about one field of the request.
func invalidField(field, format string, args ...any) *apiError {
	e := badRequest(format, args...)
	e.Details = []errorDetail{{ErrorCode: "invalid.value", FieldName: field}}
	return e
}

// missingField is a 400 for a required field that is absent.
func missingField(field string) *apiError {
	e := badRequest("%s is required", field)
	e.Details = []errorDetail{{ErrorCode: "missing.required.field", FieldName: field}}
	return e
}

// invalidEntity is a 400 about an id the request names.
func invalidEntity(field, id, format string, args ...any) *apiError {
	e := badRequest(format, args...)
	e.Details = []errorDetail{{ErrorCode: "invalid.value", FieldName: field, EntityID: id}}
	return e
}

func notFound(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "not.found", Message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusConflict, Code: "conflict", Message: fmt.Sprintf(format, args...)}
}

func internalError(err error) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: "internal.server.error", Message: err.Error()}
}

// faultError is the answer of an injected or random fault. A 429 always
// carries a Retry-After (at least 1 second); other statuses carry one when
// retryAfter is positive.
func faultError(status, retryAfter int) *apiError {
	e := faultBody(status, retryAfter)
	if retryAfter > 0 {
		e.RetryAfter = retryAfter
	}
	return e
}

func faultBody(status, retryAfter int) *apiError {
	switch status {
	case http.StatusTooManyRequests:
		if retryAfter <= 0 {
			retryAfter = 1
		}
		return &apiError{Status: status, Code: "too.many.requests.retry.after", RetryAfter: retryAfter,
			Message: fmt.Sprintf("Rate limit exceeded the maximum. Retry the request in [%d] seconds", retryAfter),
			Params:  map[string]string{"retryAfter": strconv.Itoa(retryAfter)}}
	case http.StatusInternalServerError:
		return &apiError{Status: status, Code: "internal.server.error", Message: "The server encountered an unexpected condition (sandbox fault)."}
	case http.StatusBadGateway:
		return &apiError{Status: status, Code: "bad.gateway", Message: "The gateway received an invalid response (sandbox fault)."}
	case http.StatusServiceUnavailable:
		return &apiError{Status: status, Code: "service.unavailable", Message: "The service is temporarily unavailable (sandbox fault)."}
	case http.StatusGatewayTimeout:
		return &apiError{Status: status, Code: "gateway.timeout", Message: "The gateway timed out (sandbox fault)."}
	}
	text := http.StatusText(status)
	if text == "" {
		text = "status " + strconv.Itoa(status)
	}
	return &apiError{Status: status, Code: "sandbox.fault", Message: text + " (sandbox fault)"}
}
