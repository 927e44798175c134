package clinic

import (
	"errors"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/i18n"
	"github.com/havenvr/haven/server/apierr"
)

// fieldError is a refused input field whose label and detail are message
// ids: the handler localizes both for the reader (the edge), so an admin in
// Cairo reads why in Arabic, not in the validator's English.
type fieldError struct {
	Field     string         // JSON name of the field, for the console to mark
	Label     string         // message id of the field's label
	Rule      string         // machine-readable reason, sent as the error's Rule
	MessageID string         // message id of the detail
	Data      map[string]any // the detail's template data
	Msg       string         // English detail for logs and when no translator is wired
}

func (e *fieldError) Error() string { return "clinic: " + e.Field + ": " + e.Msg }

// coded turns a fieldError into the API's coded 422 (validation), its
// detail and field label in the request's language; other errors pass.
func (s *Service) coded(c echo.Context, err error) error {
	var fe *fieldError
	if !errors.As(err, &fe) {
		return err
	}
	e, label := apierr.Invalid(fe.Field, fe.Msg), fe.Field
	if s.web != nil {
		if t := s.web.Localize(c, fe.MessageID, fe.Data); t != "" && t != fe.MessageID {
			e = apierr.InvalidLocalized(fe.Field, t)
		}
		if t := s.web.Localize(c, fe.Label, nil); t != "" && t != fe.Label {
			label = t
		}
	}
	e = e.With("Field", label).With("Rule", fe.Rule)
	e.Err = err
	return e
}

// maxEcho bounds how much of a refused value is repeated in the message.
const maxEcho = 40

func echoValue(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxEcho {
		return string(r[:maxEcho]) + "…"
	}
	return s
}

// parseLocale resolves a requested language with the bundle's parser to the
// shipped locale served for it (pt-br → pt-BR, pt-PT → pt-BR, zh-CN →
// zh-Hans). Anything Haven does not ship (ja, zh-Hant) is refused, and so is
// the pseudo-locale: it exists for tests, not for people.
func (s *Service) parseLocale(field, label, tag string) (string, error) {

	langs := make([]string, 0, len(i18n.Shipped))
	for _, l := range i18n.Available() {
		langs = append(langs, l.Name)
	}
	data := map[string]any{"Value": echoValue(tag), "Languages": strings.Join(langs, ", ")}
	if strings.TrimSpace(tag) == "" {
		return "", &fieldError{Field: field, Label: label, Rule: "required", MessageID: "error.detail.locale_required",
			Data: data, Msg: "choose one of " + data["Languages"].(string)}
	}
	loc, err := s.bundle.ParseLocale(tag)
	if err == nil && loc == i18n.Pseudo {
		err = &i18n.LocaleError{Tag: tag, Err: i18n.ErrUnsupportedLocale}
	}
	if err != nil {
		rule := "locale_unsupported"
		if errors.Is(err, i18n.ErrMalformedLocale) {
			rule = "locale_malformed"
		}
		return "", &fieldError{Field: field, Label: label, Rule: rule, MessageID: "error.detail.locale", Data: data, Msg: err.Error()}
	}
	return loc, nil
}
