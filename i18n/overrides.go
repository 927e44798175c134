package i18n

import (
	"fmt"
	"sort"
	"sync"
)

// Override is one clinic's wording of one message in one locale. Overrides
// live in the server's database; the server loads them into [Overrides].
type Override struct {
	ClinicID string `json:"clinic_id"`
	Locale   string `json:"locale"`
	ID       string `json:"id"`
	Text     Text   `json:"text"`
}

// Overrides is the clinic layer over the built-in bundle: per clinic, per
// locale, per message id; the last layer wins. Every write is validated
// first and stores nothing on error, so the old text is still served.
type Overrides struct {
	b  *Bundle
	mu sync.RWMutex
	m  map[string]map[string]Text // clinic -> locale+"\x00"+id -> text
}

func newOverrides(b *Bundle) *Overrides {
	return &Overrides{b: b, m: map[string]map[string]Text{}}
}

func key(loc, id string) string { return loc + "\x00" + id }

// Get returns the clinic's override of id in exactly loc.
func (o *Overrides) Get(clinicID, loc, id string) (Text, bool) {
	if clinicID == "" {
		return Text{}, false
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	t, ok := o.m[clinicID][key(loc, id)]
	return t, ok
}

// Set validates ov and stores it; it is served immediately, to that clinic
// only. The locale is stored in canonical form.
func (o *Overrides) Set(ov Override) error {
	loc, err := o.b.ValidateOverride(ov)
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m[ov.ClinicID] == nil {
		o.m[ov.ClinicID] = map[string]Text{}
	}
	o.m[ov.ClinicID][key(loc, ov.ID)] = ov.Text
	return nil
}

// Replace swaps a clinic's whole override set (after a reload from the
// database). If any override is invalid nothing changes.
func (o *Overrides) Replace(clinicID string, list []Override) error {
	next := make(map[string]Text, len(list))
	for _, ov := range list {
		if ov.ClinicID != clinicID {
			return fmt.Errorf("i18n: override for clinic %q in set of %q: %w", ov.ClinicID, clinicID, ErrBadOverride)
		}
		loc, err := o.b.ValidateOverride(ov)
		if err != nil {
			return err
		}
		next[key(loc, ov.ID)] = ov.Text
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m[clinicID] = next
	return nil
}

// Reset removes a clinic's override so the built-in text is served again.
// It reports whether there was one.
func (o *Overrides) Reset(clinicID, loc, id string) bool {
	if c, err := canonical(loc); err == nil {
		loc = c
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	k := key(loc, id)
	_, ok := o.m[clinicID][k]
	delete(o.m[clinicID], k)
	return ok
}

// List returns a clinic's overrides sorted by locale and id.
func (o *Overrides) List(clinicID string) []Override {
	o.mu.RLock()
	defer o.mu.RUnlock()
	out := make([]Override, 0, len(o.m[clinicID]))
	for k, t := range o.m[clinicID] {
		var loc, id string
		for i := 0; i < len(k); i++ {
			if k[i] == 0 {
				loc, id = k[:i], k[i+1:]
				break
			}
		}
		out = append(out, Override{ClinicID: clinicID, Locale: loc, ID: id, Text: t})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Locale != out[j].Locale {
			return out[i].Locale < out[j].Locale
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// ValidateOverride checks an override without storing it and returns its
// canonical locale. Errors: *LocaleError (malformed, not a served locale),
// *MessageError wrapping ErrUnknownMessage, ErrBadTemplate (does not parse,
// or uses a placeholder the message does not provide) or ErrPluralForms.
func (b *Bundle) ValidateOverride(ov Override) (string, error) {
	if ov.ClinicID == "" {
		return "", fmt.Errorf("i18n: override without clinic: %w", ErrBadOverride)
	}
	loc, err := canonical(ov.Locale)
	if err != nil {
		return "", err
	}
	if !loadable(loc) {
		return "", &LocaleError{Tag: ov.Locale, Err: ErrUnsupportedLocale}
	}
	if err := b.validateText(loc, ov.ID, ov.Text); err != nil {
		return "", err
	}
	return loc, nil
}

// validateText checks one translation against the English reference: the
// id exists, every form parses, placeholders are known, and a counted
// message has every CLDR plural form of loc (a plain one has Other).
func (b *Bundle) validateText(loc, id string, t Text) error {
	src, ok := b.msgs[English][id]
	if !ok {
		return &MessageError{ID: id, Locale: loc, Err: ErrUnknownMessage}
	}
	if err := checkTemplates(id, loc, t); err != nil {
		return err
	}
	if bad := t.unknownPlaceholders(src.Text); len(bad) > 0 {
		return &MessageError{ID: id, Locale: loc, Err: ErrBadTemplate, Detail: fmt.Sprintf("unknown placeholders %v, message provides %v", bad, src.Text.placeholders())}
	}
	if !src.Text.IsPlural() {
		if t.Other == "" {
			return &MessageError{ID: id, Locale: loc, Err: ErrPluralForms, Forms: []string{"other"}}
		}
		return nil
	}
	miss, err := b.plurals.missingForms(loc, t)
	if err != nil {
		return err
	}
	if len(miss) > 0 {
		return &MessageError{ID: id, Locale: loc, Err: ErrPluralForms, Forms: miss}
	}
	return nil
}
