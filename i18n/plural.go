package i18n

import (
	"fmt"
	"sync"

	gi "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// pluralRules answers CLDR plural questions with go-i18n's own rule tables
// (they are internal to go-i18n, so we ask them through a probe message whose
// every form is its own category name).
type pluralRules struct {
	mu       sync.Mutex
	probes   map[string]*gi.Localizer
	required map[string][]string
	table    map[string][]string // loc -> form of each count in requiredCounts' 0..tableSize-1
}

// tableSize is how many small counts have their form precomputed; asking
// go-i18n costs microseconds, a table look-up nanoseconds.
const tableSize = 1201

func newPluralRules() *pluralRules {
	return &pluralRules{probes: map[string]*gi.Localizer{}, required: map[string][]string{}, table: map[string][]string{}}
}

var probeMessage = &gi.Message{ID: "probe", Zero: "zero", One: "one", Two: "two", Few: "few", Many: "many", Other: "other"}

// probe returns a go-i18n localizer whose only language is loc.
func (p *pluralRules) probe(loc string) (*gi.Localizer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l, ok := p.probes[loc]; ok {
		return l, nil
	}
	tag, err := language.Parse(loc)
	if err != nil {
		return nil, &LocaleError{Tag: loc, Err: ErrMalformedLocale}
	}
	b := gi.NewBundle(tag)
	if err := b.AddMessages(tag, probeMessage); err != nil {
		return nil, &LocaleError{Tag: loc, Err: fmt.Errorf("%w: no CLDR plural rule", ErrUnsupportedLocale)}
	}
	l := gi.NewLocalizer(b, loc)
	p.probes[loc] = l
	return l, nil
}

// form returns the CLDR plural category of count in loc ("other" on error).
func (p *pluralRules) form(loc string, count int) string {
	if count >= 0 && count < tableSize {
		if _, err := p.requiredForms(loc); err == nil { // builds the table once per locale
			p.mu.Lock()
			t := p.table[loc]
			p.mu.Unlock()
			return t[count]
		}
	}
	return p.ask(loc, count)
}

// ask asks go-i18n's CLDR rules for the category of count in loc.
func (p *pluralRules) ask(loc string, count int) string {
	l, err := p.probe(loc)
	if err != nil {
		return "other"
	}
	s, err := l.Localize(&gi.LocalizeConfig{MessageID: "probe", PluralCount: count})
	if err != nil {
		return "other"
	}
	return s
}

// requiredCounts covers every integer category CLDR defines for our
// languages: 0–1200 catch zero/one/two/few/many in Arabic, and the millions
// catch the "many" of es, fr and pt ("1 000 000 de …").
func requiredCounts() []int {
	out := make([]int, 0, 1203)
	for i := 0; i <= 1200; i++ {
		out = append(out, i)
	}
	return append(out, 1_000_000, 2_000_000)
}

// requiredForms lists the plural categories a counted message needs in loc,
// in CLDR order.
func (p *pluralRules) requiredForms(loc string) ([]string, error) {
	p.mu.Lock()
	if r, ok := p.required[loc]; ok {
		p.mu.Unlock()
		return r, nil
	}
	p.mu.Unlock()
	if _, err := p.probe(loc); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	table := make([]string, 0, tableSize)
	for _, n := range requiredCounts() {
		f := p.ask(loc, n)
		seen[f] = true
		if n < tableSize && len(table) == n {
			table = append(table, f)
		}
	}
	var out []string
	for _, f := range pluralForms {
		if seen[f] {
			out = append(out, f)
		}
	}
	p.mu.Lock()
	p.required[loc] = out
	p.table[loc] = table
	p.mu.Unlock()
	return out, nil
}

// missingForms lists the categories t lacks for a counted message in loc.
func (p *pluralRules) missingForms(loc string, t Text) ([]string, error) {
	req, err := p.requiredForms(loc)
	if err != nil {
		return nil, err
	}
	var miss []string
	for _, f := range req {
		if t.Form(f) == "" {
			miss = append(miss, f)
		}
	}
	return miss, nil
}

// PluralForms returns the CLDR plural categories a counted message needs in
// loc, e.g. [one other] for English and all six for Arabic.
func (b *Bundle) PluralForms(loc string) ([]string, error) { return b.plurals.requiredForms(loc) }
