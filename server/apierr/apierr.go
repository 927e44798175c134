// Package apierr is Haven's one error vocabulary: coded errors that map to an
// HTTP status (and to data-channel error messages) in a single table, and are
// localized at the edge through the message id "error.<code>".
package apierr

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Code identifies an error kind on the wire; clients switch on it.
type Code string

// Error codes. Each has a status below and a message "error.<code>" in i18n/locales.
const (
	Unauthorized       Code = "unauthorized"
	Forbidden          Code = "forbidden"
	NotFound           Code = "not_found"
	MethodNotAllowed   Code = "method_not_allowed"
	BadRequest         Code = "bad_request"
	InvalidJSON        Code = "invalid_json"
	UnknownField       Code = "unknown_field"
	DuplicateField     Code = "duplicate_field"
	BodyTooLarge       Code = "body_too_large"
	UnsupportedMedia   Code = "unsupported_media_type"
	CSRFMissing        Code = "csrf_missing"
	CSRFInvalid        Code = "csrf_invalid"
	RateLimited        Code = "rate_limited"
	LoginFailed        Code = "login_failed"
	InviteInvalid      Code = "invite_invalid"
	InviteUsed         Code = "invite_used"
	InviteExpired      Code = "invite_expired"
	Conflict           Code = "conflict"
	Archived           Code = "archived" // an archived composition or protocol: readable, never used anew
	PatientCodeTaken   Code = "patient_code_taken"
	ScreeningRequired  Code = "screening_required" // exposure for a patient nobody screened, without a recorded override
	Validation         Code = "validation"
	JoinCodeInvalid    Code = "join_code_invalid"
	SessionFull        Code = "session_full"
	RoomFull           Code = "room_full"
	SessionState       Code = "session_state"
	Internal           Code = "internal"
	Unavailable        Code = "unavailable"
	UnknownMessageType Code = "unknown_message_type"
	UnsupportedVersion Code = "unsupported_version"
	MessageTooLarge    Code = "message_too_large"
	PeerThrottled      Code = "peer_throttled"
	PeerTooSlow        Code = "peer_too_slow"
	SDPInvalid         Code = "sdp_invalid"
	NoDataChannel      Code = "no_datachannel"
	MediaRefused       Code = "media_refused" // an offer that would send media its sender may not (video; any from an observer)
)

var statuses = map[Code]int{
	Unauthorized: http.StatusUnauthorized, Forbidden: http.StatusForbidden, NotFound: http.StatusNotFound,
	BadRequest: http.StatusBadRequest, InvalidJSON: http.StatusBadRequest, UnknownField: http.StatusBadRequest,
	DuplicateField: http.StatusBadRequest, MethodNotAllowed: http.StatusMethodNotAllowed,
	BodyTooLarge: http.StatusRequestEntityTooLarge, UnsupportedMedia: http.StatusUnsupportedMediaType,
	CSRFMissing: http.StatusForbidden, CSRFInvalid: http.StatusForbidden, RateLimited: http.StatusTooManyRequests,
	LoginFailed: http.StatusUnauthorized, InviteInvalid: http.StatusNotFound, InviteUsed: http.StatusGone,
	InviteExpired: http.StatusGone, Conflict: http.StatusConflict, Archived: http.StatusConflict, PatientCodeTaken: http.StatusConflict,
	ScreeningRequired: http.StatusConflict,
	Validation:        http.StatusUnprocessableEntity, JoinCodeInvalid: http.StatusNotFound, SessionFull: http.StatusConflict, RoomFull: http.StatusConflict,
	SessionState: http.StatusConflict, Internal: http.StatusInternalServerError, Unavailable: http.StatusServiceUnavailable,
	UnknownMessageType: http.StatusBadRequest, UnsupportedVersion: http.StatusBadRequest,
	MessageTooLarge: http.StatusRequestEntityTooLarge, PeerThrottled: http.StatusTooManyRequests,
	PeerTooSlow: http.StatusServiceUnavailable, SDPInvalid: http.StatusBadRequest, NoDataChannel: http.StatusBadRequest,
	MediaRefused: http.StatusForbidden,
}

// Codes lists every known code (for docs and coverage tests).
func Codes() []Code {
	out := make([]Code, 0, len(statuses))
	for c := range statuses {
		out = append(out, c)
	}
	return out
}

// Error is a coded error. Data fills the localized message's template;
// Field names the offending input field for validation errors.
type Error struct {
	Code  Code
	Field string
	Data  map[string]any
	Err   error

	localized bool // a validation detail already in the reader's language
}

// New returns a coded error.
func New(code Code) *Error { return &Error{Code: code} }

// Limited is a rate_limited error asking the caller to wait at least wait:
// Seconds fills the Retry-After header, Count the localized message's number.
func Limited(wait time.Duration) *Error {
	n := int(math.Ceil(wait.Seconds()))
	if n < 1 {
		n = 1
	}
	return New(RateLimited).With("Seconds", strconv.Itoa(n)).With("Count", n)
}

// Wrap returns a coded error that keeps err for logs (never shown to clients).
func Wrap(code Code, err error) *Error { return &Error{Code: code, Err: err} }

// Invalid returns a validation error naming a field. detail is the
// validator's own English text: the localized message quotes it only in
// English and otherwise names the field alone, so no reader gets a sentence
// in two languages; the detail travels beside the message for developers.
func Invalid(field, detail string) *Error {
	return &Error{Code: Validation, Field: field, Data: map[string]any{"Field": field, "Detail": detail}}
}

// InvalidLocalized is Invalid with a detail already translated for the
// reader: the message quotes it in every language.
func InvalidLocalized(field, detail string) *Error {
	e := Invalid(field, detail)
	e.localized = true
	return e
}

// Detail is a validation error's untranslated detail (empty otherwise).
func (e *Error) Detail() string {
	if e.Code != Validation || e.localized {
		return ""
	}
	d, _ := e.Data["Detail"].(string)
	return d
}

// With adds template data to the localized message.
func (e *Error) With(key string, v any) *Error {
	if e.Data == nil {
		e.Data = map[string]any{}
	}
	e.Data[key] = v
	return e
}

func (e *Error) Error() string {
	s := string(e.Code)
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Status is the HTTP status for the error's code.
func (e *Error) Status() int {
	if s, ok := statuses[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// MessageID is the i18n message id for the code.
func (e *Error) MessageID() string {
	if e.Code == Validation && !e.localized {
		return "error.validation_field"
	}
	return "error." + string(e.Code)
}

// From returns err as a coded error; anything uncoded becomes Internal.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Wrap(Internal, err)
}

// Errorf is a convenience for an Internal error with context.
func Errorf(format string, args ...any) *Error {
	return Wrap(Internal, fmt.Errorf(format, args...))
}
