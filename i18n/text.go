package i18n

import (
	"regexp"
	"slices"
	"sort"
)

// Text is one message's forms in one locale, keyed by CLDR plural category.
// A message that is not plural has only Other. JSON tags follow go-i18n.
type Text struct {
	Zero  string `json:"zero,omitempty"`
	One   string `json:"one,omitempty"`
	Two   string `json:"two,omitempty"`
	Few   string `json:"few,omitempty"`
	Many  string `json:"many,omitempty"`
	Other string `json:"other,omitempty"`
}

// pluralForms lists CLDR plural categories in go-i18n's order.
var pluralForms = []string{"zero", "one", "two", "few", "many", "other"}

// Form returns the text of one plural category ("" when absent).
func (t Text) Form(form string) string {
	switch form {
	case "zero":
		return t.Zero
	case "one":
		return t.One
	case "two":
		return t.Two
	case "few":
		return t.Few
	case "many":
		return t.Many
	}
	return t.Other
}

// set returns t with one plural category replaced.
func (t Text) set(form, s string) Text {
	switch form {
	case "zero":
		t.Zero = s
	case "one":
		t.One = s
	case "two":
		t.Two = s
	case "few":
		t.Few = s
	case "many":
		t.Many = s
	default:
		t.Other = s
	}
	return t
}

// IsPlural reports whether any category besides Other is set.
func (t Text) IsPlural() bool {
	return t.Zero != "" || t.One != "" || t.Two != "" || t.Few != "" || t.Many != ""
}

// present lists the categories that have text.
func (t Text) present() []string {
	var out []string
	for _, f := range pluralForms {
		if t.Form(f) != "" {
			out = append(out, f)
		}
	}
	return out
}

// placeholderRE finds template fields such as {{.Number}}; enough to compare
// a translation's placeholders with the English source.
var placeholderRE = regexp.MustCompile(`\{\{[-\s]*\.([A-Za-z_][A-Za-z0-9_]*)`)

// placeholders returns the sorted, distinct field names used in all forms.
func (t Text) placeholders() []string {
	seen := map[string]bool{}
	for _, f := range pluralForms {
		for _, m := range placeholderRE.FindAllStringSubmatch(t.Form(f), -1) {
			seen[m[1]] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// unknownPlaceholders lists fields used in t that src does not provide.
// Count is always provided for plural messages.
func (t Text) unknownPlaceholders(src Text) []string {
	known := src.placeholders()
	var bad []string
	for _, p := range t.placeholders() {
		if !slices.Contains(known, p) && !(p == "Count" && src.IsPlural()) {
			bad = append(bad, p)
		}
	}
	return bad
}

// entry is one loaded message.
type entry struct {
	Description string
	Text        Text
}
