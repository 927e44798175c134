package i18n

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel causes, to test with errors.Is.
var (
	ErrMalformedLocale   = errors.New("malformed locale tag")
	ErrUnsupportedLocale = errors.New("unsupported locale")
	ErrUnknownMessage    = errors.New("unknown message id")
	ErrBadTemplate       = errors.New("template does not parse")
	ErrPluralForms       = errors.New("plural forms incomplete")
	ErrMissing           = errors.New("message missing in locale chain")
	ErrBadOverride       = errors.New("invalid override")
)

// LocaleError reports a locale tag that is malformed or not served.
type LocaleError struct {
	Tag string
	Err error // ErrMalformedLocale or ErrUnsupportedLocale
}

func (e *LocaleError) Error() string { return fmt.Sprintf("i18n: locale %q: %v", e.Tag, e.Err) }
func (e *LocaleError) Unwrap() error { return e.Err }

// MessageError reports a problem with one message (unknown id, template
// that does not parse, plural forms missing, missing in a locale chain).
type MessageError struct {
	ID     string
	Locale string
	Form   string   // plural form concerned, if any
	Forms  []string // missing plural forms, for ErrPluralForms
	Detail string
	Err    error
}

func (e *MessageError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "i18n: message %q", e.ID)
	if e.Locale != "" {
		fmt.Fprintf(&b, " (%s)", e.Locale)
	}
	if e.Form != "" {
		fmt.Fprintf(&b, " form %q", e.Form)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if len(e.Forms) > 0 {
		fmt.Fprintf(&b, ": need %s", strings.Join(e.Forms, ", "))
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}
func (e *MessageError) Unwrap() error { return e.Err }
