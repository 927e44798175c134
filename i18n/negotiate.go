package i18n

import (
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

// Prefs are the inputs of negotiation, in priority order.
type Prefs struct {
	Explicit       string // the user's own choice; an unusable value is an error
	AcceptLanguage string // the raw header; unusable entries are skipped
	ClinicDefault  string // the clinic's default locale; skipped if unusable
}

// Negotiate picks the served locale: explicit choice, then Accept-Language,
// then the clinic default, then English. Only the explicit choice can fail,
// with a *LocaleError, because the user asked for it by name.
func (b *Bundle) Negotiate(p Prefs) (string, error) {
	if p.Explicit != "" {
		return b.ParseLocale(p.Explicit)
	}
	if loc, ok := b.pick(p.AcceptLanguage); ok {
		return loc, nil
	}
	if loc, ok := b.pick(p.ClinicDefault); ok {
		return loc, nil
	}
	return English, nil
}

// pick returns the first served locale for a tag or Accept-Language value.
func (b *Bundle) pick(h string) (string, bool) {
	for _, t := range ParseAcceptLanguage(h) {
		if loc, ok := b.resolve(t); ok {
			return loc, true
		}
	}
	return "", false
}

// ParseLocale resolves one explicitly chosen tag to the locale served for
// it, or returns a *LocaleError (ErrMalformedLocale, ErrUnsupportedLocale).
func (b *Bundle) ParseLocale(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return "", &LocaleError{Tag: s, Err: ErrMalformedLocale}
	}
	t, err := language.Parse(s)
	if err != nil {
		return "", &LocaleError{Tag: s, Err: ErrMalformedLocale}
	}
	loc, ok := b.resolve(t)
	if !ok {
		return "", &LocaleError{Tag: s, Err: ErrUnsupportedLocale}
	}
	return loc, nil
}

// resolve maps a requested tag to a shipped locale. x/text's matcher does
// the CLDR distance work (pt-PT → pt-BR is High confidence, es-MX → es,
// zh-CN → zh-Hans are Exact/High); we accept only High or better and never
// a change of script, so zh-Hant, zh-TW and zh-HK never fall into zh-Hans
// (the matcher would offer zh-Hans with Low confidence). The pseudo-locale
// is only reached by naming it, never by matching (en-GB would match it).
func (b *Bundle) resolve(t language.Tag) (string, bool) {
	if t.String() == Pseudo {
		return Pseudo, true
	}
	_, idx, conf := b.matcher.Match(t)
	if conf < language.High || idx < 0 || idx >= len(b.matchable) {
		return "", false
	}
	if want, _ := t.Script(); want != b.scripts[idx] {
		return "", false
	}
	return b.matchable[idx], true
}

// Chain returns the locales looked up for loc, most specific first; English
// is not part of it: reaching English from another locale is a miss.
func Chain(loc string) []string {
	chain := []string{loc}
	for p, ok := parents[loc]; ok; p, ok = parents[p] {
		chain = append(chain, p)
	}
	return chain
}

// Dir returns "rtl" for right-to-left scripts and "ltr" otherwise.
func Dir(loc string) string {
	t, err := language.Parse(loc)
	if err != nil {
		return "ltr"
	}
	s, _ := t.Script()
	switch s.String() {
	case "Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm", "Rohg", "Mand", "Samr":
		return "rtl"
	}
	return "ltr"
}

// Accept-Language limits: a header is outside input.
const (
	maxAcceptLen     = 4096
	maxAcceptEntries = 32
)

// ParseAcceptLanguage parses an Accept-Language header (RFC 9110 §12.5.4)
// leniently: unlike language.ParseAcceptLanguage, one bad entry does not
// discard the others. Entries with q=0, "*" and malformed tags are skipped;
// the rest are ordered by q, stable for equal q.
func ParseAcceptLanguage(h string) []language.Tag {
	if len(h) > maxAcceptLen {
		h = h[:maxAcceptLen]
	}
	type item struct {
		tag language.Tag
		q   float64
	}
	var items []item
	for i, part := range strings.Split(h, ",") {
		if i >= maxAcceptEntries {
			break
		}
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.TrimSpace(name)
		q, ok := parseQ(params)
		if !ok || q <= 0 || name == "" || name == "*" {
			continue
		}
		t, err := language.Parse(name)
		if err != nil {
			continue
		}
		items = append(items, item{t, q})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].q > items[j].q })
	out := make([]language.Tag, len(items))
	for i, it := range items {
		out[i] = it.tag
	}
	return out
}

// parseQ reads the q parameter; absent means 1.
func parseQ(params string) (float64, bool) {
	params = strings.TrimSpace(params)
	if params == "" {
		return 1, true
	}
	k, v, ok := strings.Cut(params, "=")
	if !ok || strings.TrimSpace(strings.ToLower(k)) != "q" {
		return 0, false
	}
	q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || q < 0 || q > 1 {
		return 0, false
	}
	return q, true
}

// nativeNames are the endonyms shown in language pickers: a patient looks
// for their language written in their language.
var nativeNames = map[string]string{
	"en": "English", "es": "Español", "fr": "Français", "de": "Deutsch",
	"pt-BR": "Português (Brasil)", "ar": "العربية", "zh-Hans": "简体中文", Pseudo: "[Þšéûðö]",
}

// LocaleInfo describes a served locale for language pickers.
type LocaleInfo struct {
	Tag  string `json:"tag"`
	Name string `json:"name"`
	Dir  string `json:"dir"`
}

// Available lists the shipped locales (not the pseudo-locale) in order.
func Available() []LocaleInfo {
	out := make([]LocaleInfo, 0, len(Shipped))
	for _, s := range Shipped {
		out = append(out, LocaleInfo{Tag: s, Name: nativeNames[s], Dir: Dir(s)})
	}
	return out
}
