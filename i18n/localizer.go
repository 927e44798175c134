package i18n

import (
	"maps"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

// Localizer renders messages for one clinic in one negotiated locale. It
// is cheap; make one per request or per connection.
type Localizer struct {
	b      *Bundle
	clinic string
	loc    string
	chain  []string

	mu      sync.Mutex
	missing []string
}

// Localizer negotiates from prefs given in priority order (explicit choice,
// Accept-Language header value, clinic default); each is a tag or a header
// value, unusable ones are skipped, English comes last.
func (b *Bundle) Localizer(clinicID string, prefs ...string) *Localizer {
	for _, p := range prefs {
		if loc, ok := b.pick(p); ok {
			return b.ForLocale(clinicID, loc)
		}
	}
	return b.ForLocale(clinicID, English)
}

// LocalizerFor negotiates strictly: an unusable explicit choice is an error.
func (b *Bundle) LocalizerFor(clinicID string, p Prefs) (*Localizer, error) {
	loc, err := b.Negotiate(p)
	if err != nil {
		return nil, err
	}
	return b.ForLocale(clinicID, loc), nil
}

// ForLocale returns a localizer for an already negotiated locale.
func (b *Bundle) ForLocale(clinicID, loc string) *Localizer {
	return &Localizer{b: b, clinic: clinicID, loc: loc, chain: Chain(loc)}
}

// Locale returns the served locale, e.g. "pt-BR" for a pt-PT request.
func (l *Localizer) Locale() string { return l.loc }

// Lang returns the served locale as a tag (for <html lang>).
func (l *Localizer) Lang() language.Tag { return language.Make(l.loc) }

// Dir returns "rtl" or "ltr" (for dir= on pages and 3D panels).
func (l *Localizer) Dir() string { return Dir(l.loc) }

// Chain returns the locales searched before a lookup counts as missing.
func (l *Localizer) Chain() []string { return append([]string(nil), l.chain...) }

// text finds id along the chain, each locale's clinic override first.
func (l *Localizer) text(id string) (Text, bool) {
	for _, loc := range l.chain {
		if t, ok := l.b.overrides.Get(l.clinic, loc, id); ok {
			return t, true
		}
		if t, ok := l.b.builtin(loc, id); ok {
			return t, true
		}
	}
	return Text{}, false
}

// Lookup renders id without any fallback: a message absent from the chain
// is a *MessageError wrapping ErrMissing (or ErrUnknownMessage).
func (l *Localizer) Lookup(id string, data map[string]any) (string, error) {
	return l.render(id, nil, data)
}

// LookupPlural is Lookup for a counted message; {{.Count}} is the count.
func (l *Localizer) LookupPlural(id string, count int, data map[string]any) (string, error) {
	return l.render(id, &count, data)
}

func (l *Localizer) render(id string, count *int, data map[string]any) (string, error) {
	t, ok := l.text(id)
	if !ok {
		err := ErrMissing
		if _, known := l.b.msgs[English][id]; !known {
			err = ErrUnknownMessage
		}
		return "", &MessageError{ID: id, Locale: l.loc, Err: err}
	}
	return l.b.renderText(l.loc, id, t, count, data)
}

// renderText picks the plural form of count (Other when the form is absent)
// and executes it. An int data["Count"] counts as the count, so coded errors
// such as rate_limited pluralize through Error. Placeholders the caller did
// not supply render empty rather than as "<no value>".
func (b *Bundle) renderText(loc, id string, t Text, count *int, data map[string]any) (string, error) {
	if c, ok := data["Count"].(int); ok && count == nil && t.IsPlural() {
		count = &c
	}
	form := "other"
	if count != nil {
		form = b.plurals.form(loc, *count)
	}
	src := t.Form(form)
	if src == "" {
		src = t.Other
	}
	c, err := b.compile(src)
	if err == nil {
		var s string
		if s, err = c.tmpl.Execute(fillData(c.fields, count, data)); err == nil {
			return s, nil
		}
	}
	return "", &MessageError{ID: id, Locale: loc, Form: form, Err: ErrBadTemplate, Detail: err.Error()}
}

// fillData returns data with Count set and every field present, copying
// only when something is added (the caller's map is never changed).
func fillData(fields []string, count *int, data map[string]any) map[string]any {
	copied := false
	set := func(k string, v any) {
		if _, ok := data[k]; ok {
			return
		}
		if !copied {
			data, copied = maps.Clone(data), true
			if data == nil {
				data = map[string]any{}
			}
		}
		data[k] = v
	}
	if count != nil {
		set("Count", *count)
	}
	for _, f := range fields {
		set(f, "")
	}
	return data
}

// T renders id. A miss is recorded (see Missing) and served in English, then
// as the id itself, so a gap is visible but never a blank panel.
func (l *Localizer) T(id string, data map[string]any) string { return l.must(id, nil, data) }

// Plural renders a counted message with CLDR plural rules.
func (l *Localizer) Plural(id string, count int, data map[string]any) string {
	return l.must(id, &count, data)
}

// Error renders the message of a coded API or data-channel error,
// "error.<code>"; an unknown code renders error.internal.
func (l *Localizer) Error(code string, data map[string]any) string {
	id := "error." + code
	if _, ok := l.b.msgs[English][id]; !ok {
		l.miss(id)
		id = "error.internal"
	}
	return l.T(id, data)
}

func (l *Localizer) must(id string, count *int, data map[string]any) string {
	s, err := l.render(id, count, data)
	if err == nil {
		return s
	}
	l.miss(id)
	en := l.b.ForLocale(l.clinic, English)
	if s, err := en.render(id, count, data); err == nil {
		return s
	}
	return id
}

func (l *Localizer) miss(id string) {
	l.mu.Lock()
	l.missing = append(l.missing, id)
	l.mu.Unlock()
}

// Missing returns the ids this localizer could not serve in its own chain.
// Tests assert it is empty; the server logs it.
func (l *Localizer) Missing() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.missing...)
}

// Messages returns the raw templates (Other form) of every id with prefix,
// resolved through the chain and clinic overrides, for shipping a client's
// message set to the browser as JSON. Placeholders are left for the client.
func (l *Localizer) Messages(prefix string) map[string]string {
	out := map[string]string{}
	for id, t := range l.Texts(prefix) {
		out[id] = t.Other
	}
	return out
}

// Texts is Messages with every plural form, for Intl.PluralRules.
func (l *Localizer) Texts(prefix string) map[string]Text {
	out := map[string]Text{}
	for _, id := range l.b.idsWithPrefix(prefix) {
		if t, ok := l.text(id); ok {
			out[id] = t
			continue
		}
		l.miss(id)
		if t, ok := l.b.ForLocale(l.clinic, English).text(id); ok {
			out[id] = t
		}
	}
	return out
}

// idsWithPrefix returns the sorted reference ids starting with prefix.
func (b *Bundle) idsWithPrefix(prefix string) []string {
	i := sort.SearchStrings(b.ids, prefix)
	var out []string
	for ; i < len(b.ids) && strings.HasPrefix(b.ids[i], prefix); i++ {
		out = append(out, b.ids[i])
	}
	return out
}
