// Package biosignal is Haven's pure signal processing: stream definitions and
// validation, the Bluetooth Heart Rate Measurement decoder, HRV time-domain
// metrics with ectopic-beat correction, EDA filtering and SCR detection,
// breathing coherence, live per-session metrics, alert rules, a simulator and
// exporters (CSV, FHIR R4, Open mHealth). It imports nothing from server/.
package biosignal

import "fmt"

// Code is a stable, machine-readable error code. The edge maps it to an HTTP
// status or a data-channel error and localizes it via MessageID.
type Code string

// Error codes produced by decoders in this package.
const (
	CodeMalformed     Code = "malformed"      // not parseable at all
	CodeUnknownStream Code = "unknown_stream" // stream name not in the catalogue
	CodeBadUnit       Code = "bad_unit"       // unit does not match the stream
	CodeTooLarge      Code = "too_large"      // over the byte or sample limit
	CodeBadValue      Code = "bad_value"      // NaN, Inf or negative
	CodeTimeBackwards Code = "time_backwards" // timestamps not non-decreasing
	CodeTimeFuture    Code = "time_future"    // timestamp too far ahead of now
	CodeBadLength     Code = "bad_length"     // BLE payload length does not fit flags
	CodeEmpty         Code = "empty"          // no samples where some are needed
	CodeBadRule       Code = "bad_rule"       // alert rule or option invalid
)

// Error is a coded error. Index is the offending sample (−1 when none).
type Error struct {
	Code  Code
	Index int
	Msg   string
}

func (e *Error) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("biosignal: %s at sample %d: %s", e.Code, e.Index, e.Msg)
	}
	return fmt.Sprintf("biosignal: %s: %s", e.Code, e.Msg)
}

// MessageID is the go-i18n message ID for this error (i18n/locales/bio.*.json).
func (e *Error) MessageID() string { return "bio.error." + string(e.Code) }

// Is makes errors.Is match on the code alone: errors.Is(err, &Error{Code: CodeTooLarge}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func errf(code Code, idx int, format string, args ...any) *Error {
	return &Error{Code: code, Index: idx, Msg: fmt.Sprintf(format, args...)}
}
