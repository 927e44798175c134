package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	gi "github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var embedded embed.FS

// Shipped locales, complete and negotiable. Pseudo is generated from English.
const (
	English = "en"
	Pseudo  = "en-XA"
)

// Shipped lists the built-in locales in display order.
var Shipped = []string{"en", "es", "fr", "de", "pt-BR", "ar", "zh-Hans"}

// parents are explicit parent locales (go-i18n does not walk parents): a
// message missing in pt-BR is looked up in pt before it counts as missing.
// A parent may hold shared texts in its own files but is never negotiated.
var parents = map[string]string{"pt-BR": "pt"}

// maxFileSize bounds one message file (outside input when imported).
const maxFileSize = 4 << 20

// Bundle holds every message of every locale. It is immutable after Load
// except for its clinic Overrides, and safe for concurrent use.
type Bundle struct {
	msgs      map[string]map[string]entry // locale -> id -> entry
	ids       []string                    // sorted English ids: the reference set
	plurals   *pluralRules
	matcher   language.Matcher
	matchable []string
	scripts   []language.Script // script of each matchable locale
	overrides *Overrides
	tmpls     sync.Map // template source -> template.ParsedTemplate
}

// Load builds the bundle from the embedded locales/*.json files.
func Load() (*Bundle, error) {
	sub, err := fs.Sub(embedded, "locales")
	if err != nil {
		return nil, fmt.Errorf("i18n: opening embedded locales: %w", err)
	}
	return LoadFS(sub)
}

// LoadFS builds a bundle from every *.json file at the root of fsys, named
// <area>.<locale>.json. A file that does not parse, a template that does not
// parse or an id defined twice for one locale is an error.
func LoadFS(fsys fs.FS) (*Bundle, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("i18n: listing locale files: %w", err)
	}
	sort.Strings(names)
	b := &Bundle{msgs: map[string]map[string]entry{}, plurals: newPluralRules()}
	origin := map[string]string{} // locale/id -> file, to report duplicates
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: reading %s: %w", name, err)
		}
		loc, msgs, err := decodeFile(name, data)
		if err != nil {
			return nil, err
		}
		if !loadable(loc) {
			return nil, fmt.Errorf("i18n: %s: %w", name, &LocaleError{Tag: loc, Err: ErrUnsupportedLocale})
		}
		if b.msgs[loc] == nil {
			b.msgs[loc] = map[string]entry{}
		}
		for id, e := range msgs {
			if prev, dup := origin[loc+"/"+id]; dup {
				return nil, fmt.Errorf("i18n: %s: message %q already defined in %s", name, id, prev)
			}
			origin[loc+"/"+id] = name
			b.msgs[loc][id] = e
		}
	}
	b.finish()
	return b, nil
}

// loadable reports whether files may be written for loc.
func loadable(loc string) bool {
	for _, s := range Shipped {
		if s == loc || parents[s] == loc {
			return true
		}
	}
	return false
}

// finish derives the reference id set, the pseudo-locale and the matcher.
func (b *Bundle) finish() {
	for id := range b.msgs[English] {
		b.ids = append(b.ids, id)
	}
	sort.Strings(b.ids)
	b.msgs[Pseudo] = pseudoLocale(b.msgs[English])
	tags := make([]language.Tag, 0, len(Shipped))
	for _, s := range Shipped {
		t := language.MustParse(s)
		sc, _ := t.Script()
		tags = append(tags, t)
		b.matchable = append(b.matchable, s)
		b.scripts = append(b.scripts, sc)
	}
	b.matcher = language.NewMatcher(tags)
	b.overrides = newOverrides(b)
}

// decodeFile parses one go-i18n JSON message file. The locale is the last
// dot-separated segment before ".json", as go-i18n derives it.
func decodeFile(name string, data []byte) (string, map[string]entry, error) {
	if len(data) > maxFileSize {
		return "", nil, fmt.Errorf("i18n: %s: file larger than %d bytes", name, maxFileSize)
	}
	base := strings.TrimSuffix(path.Base(name), ".json")
	segs := strings.Split(base, ".")
	loc, err := canonical(segs[len(segs)-1])
	if err != nil {
		return "", nil, fmt.Errorf("i18n: %s: %w", name, err)
	}
	msgs, err := decodeMessages(data, loc, true)
	if err != nil {
		return "", nil, fmt.Errorf("i18n: %s: %w", name, err)
	}
	return loc, msgs, nil
}

// decodeMessages parses go-i18n JSON (flat or nested ids); with check it
// also requires every template to parse.
func decodeMessages(data []byte, loc string, check bool) (map[string]entry, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return map[string]entry{}, nil
	}
	parsed, err := gi.ParseMessageBytes(data, json.Unmarshal)
	if err != nil {
		return nil, fmt.Errorf("decoding messages: %w", err)
	}
	out := make(map[string]entry, len(parsed))
	for _, m := range parsed {
		if m == nil || m.ID == "" {
			return nil, fmt.Errorf("decoding messages: message without id")
		}
		if m.LeftDelim != "" || m.RightDelim != "" {
			return nil, &MessageError{ID: m.ID, Locale: loc, Err: ErrBadTemplate, Detail: "custom delimiters are not supported"}
		}
		t := Text{Zero: m.Zero, One: m.One, Two: m.Two, Few: m.Few, Many: m.Many, Other: m.Other}
		if check {
			if err := checkTemplates(m.ID, loc, t); err != nil {
				return nil, err
			}
		}
		out[m.ID] = entry{Description: m.Description, Text: t}
	}
	return out, nil
}

// checkTemplates parses every form of t as a go-i18n text template.
func checkTemplates(id, loc string, t Text) error {
	for _, f := range pluralForms {
		if src := t.Form(f); src != "" {
			if _, err := (&template.TextParser{}).Parse(src, "", ""); err != nil {
				return &MessageError{ID: id, Locale: loc, Form: f, Err: ErrBadTemplate, Detail: err.Error()}
			}
		}
	}
	return nil
}

// canonical parses a BCP 47 tag strictly and returns its canonical form.
func canonical(s string) (string, error) {
	if s == "" || len(s) > 64 {
		return "", &LocaleError{Tag: s, Err: ErrMalformedLocale}
	}
	t, err := language.Parse(s)
	if err != nil {
		return "", &LocaleError{Tag: s, Err: ErrMalformedLocale}
	}
	return t.String(), nil
}

// compiled is a parsed template and the fields it reads.
type compiled struct {
	tmpl   template.ParsedTemplate
	fields []string
}

// compile parses one template source once; results are cached by source.
func (b *Bundle) compile(src string) (*compiled, error) {
	if v, ok := b.tmpls.Load(src); ok {
		return v.(*compiled), nil
	}
	p, err := (&template.TextParser{}).Parse(src, "", "")
	if err != nil {
		return nil, err
	}
	c := &compiled{tmpl: p, fields: Text{Other: src}.placeholders()}
	b.tmpls.Store(src, c)
	return c, nil
}

// IDs returns every message id (the English reference set), sorted.
func (b *Bundle) IDs() []string { return append([]string(nil), b.ids...) }

// Description returns the translator's note for id.
func (b *Bundle) Description(id string) string { return b.msgs[English][id].Description }

// Overrides returns the clinic override layer of this bundle.
func (b *Bundle) Overrides() *Overrides { return b.overrides }

// builtin returns the built-in text of id in exactly locale loc.
func (b *Bundle) builtin(loc, id string) (Text, bool) {
	e, ok := b.msgs[loc][id]
	return e.Text, ok
}
