package i18n

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
)

// exported is one message in go-i18n's JSON format; fields sort so that the
// output is stable and diffs stay small.
type exported struct {
	Description string `json:"description,omitempty"`
	Text
}

// Export writes the built-in messages of exactly one locale (not its parent
// or English) in go-i18n JSON, with the English description of each message
// for translators. Import of the result yields the same texts.
func (b *Bundle) Export(loc string) ([]byte, error) {
	c, err := canonical(loc)
	if err != nil {
		return nil, err
	}
	msgs, ok := b.msgs[c]
	if !ok {
		return nil, &LocaleError{Tag: loc, Err: ErrUnsupportedLocale}
	}
	out := make(map[string]exported, len(msgs))
	for id, e := range msgs {
		d := e.Description
		if d == "" {
			d = b.Description(id)
		}
		out[id] = exported{Description: d, Text: e.Text}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("i18n: encoding %s: %w", loc, err)
	}
	return buf.Bytes(), nil
}

// ImportReport summarizes a translator's file.
type ImportReport struct {
	Locale    string          `json:"locale"`
	Messages  int             `json:"messages"`
	New       []string        `json:"new"`       // ids the bundle lacks in this locale
	Changed   []string        `json:"changed"`   // ids whose text differs from the bundle
	Unchanged int             `json:"unchanged"` // ids identical to the bundle
	Missing   []string        `json:"missing"`   // reference ids neither in the file nor the bundle
	Texts     map[string]Text `json:"-"`
}

// Import decodes and validates a translator's go-i18n JSON file without
// storing anything. The locale is loc, or else taken from the file name
// (<area>.<locale>.json or <locale>.json). Any locale with a CLDR plural rule
// may be checked, so a new translation can be validated before it ships.
// All problems are returned together (errors.Join of typed errors).
func (b *Bundle) Import(name string, data []byte, loc string) (*ImportReport, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("i18n: %s: file larger than %d bytes", name, maxFileSize)
	}
	if loc == "" {
		segs := strings.Split(strings.TrimSuffix(path.Base(name), ".json"), ".")
		loc = segs[len(segs)-1]
	}
	c, err := canonical(loc)
	if err != nil {
		return nil, err
	}
	if c == Pseudo {
		return nil, &LocaleError{Tag: loc, Err: fmt.Errorf("%w: the pseudo-locale is generated", ErrUnsupportedLocale)}
	}
	if _, err := b.plurals.requiredForms(c); err != nil {
		return nil, err
	}
	msgs, err := decodeMessages(data, c, false) // templates are checked per message below
	if err != nil {
		return nil, fmt.Errorf("i18n: %s: %w", name, err)
	}
	rep := &ImportReport{Locale: c, Messages: len(msgs), New: []string{}, Changed: []string{}, Missing: []string{}, Texts: map[string]Text{}}
	var errs []error
	for id, e := range msgs {
		if err := b.validateText(c, id, e.Text); err != nil {
			errs = append(errs, err)
			continue
		}
		rep.Texts[id] = e.Text
		switch old, ok := b.builtin(c, id); {
		case !ok:
			rep.New = append(rep.New, id)
		case old != e.Text:
			rep.Changed = append(rep.Changed, id)
		default:
			rep.Unchanged++
		}
	}
	for _, id := range b.ids {
		if _, inFile := msgs[id]; !inFile {
			if _, ok := b.chainText(Chain(c), id); !ok {
				rep.Missing = append(rep.Missing, id)
			}
		}
	}
	sort.Strings(rep.New)
	sort.Strings(rep.Changed)
	sortErrs(errs)
	return rep, errors.Join(errs...)
}

func sortErrs(errs []error) {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
}
