package i18n

import "sort"

// LocaleCoverage is how much of the English reference set one locale
// serves from its own chain (English fallback does not count).
type LocaleCoverage struct {
	Locale     string   `json:"locale"`
	Dir        string   `json:"dir"`
	Pseudo     bool     `json:"pseudo,omitempty"`
	Translated int      `json:"translated"`
	Total      int      `json:"total"`
	Percent    float64  `json:"percent"`
	Missing    []string `json:"missing"`
	Invalid    []string `json:"invalid,omitempty"` // present but failing validation (plural forms, placeholders)
	Extra      []string `json:"extra,omitempty"`   // ids English does not have
}

// Coverage reports every shipped locale plus the pseudo-locale, built-in
// texts only (clinic overrides only ever replace complete texts).
func (b *Bundle) Coverage() []LocaleCoverage {
	out := make([]LocaleCoverage, 0, len(Shipped)+1)
	for _, loc := range Shipped {
		out = append(out, b.LocaleCoverage(loc))
	}
	return append(out, b.LocaleCoverage(Pseudo))
}

// LocaleCoverage reports one locale.
func (b *Bundle) LocaleCoverage(loc string) LocaleCoverage {
	c := LocaleCoverage{Locale: loc, Dir: Dir(loc), Pseudo: loc == Pseudo, Total: len(b.ids), Missing: []string{}}
	chain := Chain(loc)
	for _, id := range b.ids {
		t, ok := b.chainText(chain, id)
		switch {
		case !ok:
			c.Missing = append(c.Missing, id)
		case b.validateText(loc, id, t) != nil:
			c.Invalid = append(c.Invalid, id)
		default:
			c.Translated++
		}
	}
	for _, l := range chain {
		for id := range b.msgs[l] {
			if _, ok := b.msgs[English][id]; !ok {
				c.Extra = append(c.Extra, id)
			}
		}
	}
	sort.Strings(c.Extra)
	if c.Total > 0 {
		c.Percent = float64(c.Translated*10000/c.Total) / 100
	}
	return c
}

// chainText finds id in the built-in texts along chain.
func (b *Bundle) chainText(chain []string, id string) (Text, bool) {
	for _, l := range chain {
		if t, ok := b.builtin(l, id); ok {
			return t, true
		}
	}
	return Text{}, false
}
