package environments

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
)

// MaxCompositionBytes bounds one composition document.
const MaxCompositionBytes = 32 << 10

// TimesOfDay are the lighting presets a composition may choose.
var TimesOfDay = []string{"dawn", "day", "sunset", "night"}

// Composition is a therapist's environment: a template, parameter values
// (missing ones take the template default) and layers on top.
type Composition struct {
	Template string `json:"template"`
	Params   Params `json:"params,omitempty"`
	Layers   Layers `json:"layers"`
}

// Layers are what a composition adds on top of the template's parameters.
type Layers struct {
	Ambient   []AmbientLayer `json:"ambient,omitempty"`
	Narration []string       `json:"narration,omitempty"`
	TimeOfDay string         `json:"time_of_day,omitempty"`
	Events    []string       `json:"events,omitempty"`
	Comfort   Comfort        `json:"comfort"`
}

// AmbientLayer switches on one of the template's ambient sounds.
type AmbientLayer struct {
	ID     string  `json:"id"`
	Volume float64 `json:"volume"`
}

// Comfort settings against cybersickness (CLINICAL.md §5).
type Comfort struct {
	Seated        bool `json:"seated"`
	Vignette      bool `json:"vignette"`
	SnapTurn      bool `json:"snap_turn"`
	ReducedMotion bool `json:"reduced_motion"`
}

// DecodeComposition parses a composition strictly (no unknown fields, bounded).
func DecodeComposition(data []byte) (Composition, error) {
	var c Composition
	if err := decodeStrict(data, MaxCompositionBytes, &c); err != nil {
		return Composition{}, fmt.Errorf("environments: decoding composition: %w", err)
	}
	for k, v := range c.Params {
		if n, ok := v.(json.Number); ok {
			c.Params[k] = plainNumber(n)
		}
	}
	return c, nil
}

// Validate checks a composition against the catalog and returns it with its
// parameters completed from defaults and converted to canonical Go types.
// Errors are ValidationErrors naming each field.
func (c Composition) Validate(cat *Catalog) (Composition, error) {
	var errs ValidationErrors
	t, ok := cat.Get(c.Template)
	if !ok {
		addf(&errs, "template", "unknown_template", map[string]any{"Value": c.Template}, "unknown template %q", c.Template)
		return c, errs
	}
	out := Composition{Template: c.Template, Params: t.Defaults(), Layers: c.Layers}
	for _, name := range sortedKeys(c.Params) {
		p, ok := t.Param(name)
		field := "params." + name
		if !ok {
			addf(&errs, field, "unknown_param", map[string]any{"Name": name}, "%s has no parameter %q", t.ID, name)
			continue
		}
		v := canonical(p.Type, c.Params[name])
		p.Check(field, v, &errs)
		out.Params[name] = v
	}
	c.Layers.check(t, &errs)
	if len(errs) > 0 {
		return c, errs
	}
	return out, nil
}

func (l Layers) check(t *Template, errs *ValidationErrors) {
	if len(l.Ambient) > 8 || len(l.Narration) > 32 || len(l.Events) > 16 {
		addf(errs, "layers", "too_many", nil, "at most 8 ambient, 32 narration and 16 events")
	}
	for i, a := range l.Ambient {
		f := fmt.Sprintf("layers.ambient[%d]", i)
		if !t.HasAmbient(a.ID) {
			addf(errs, f+".id", "unknown_ambient", map[string]any{"Value": a.ID}, "%s has no ambient layer %q", t.ID, a.ID)
		}
		if a.Volume < 0 || a.Volume > 1 {
			addf(errs, f+".volume", "above_max", map[string]any{"Value": fmtNum(a.Volume), "Max": "1"}, "%s is outside 0–1", fmtNum(a.Volume))
		}
	}
	for i, k := range l.Narration {
		checkKey(errs, fmt.Sprintf("layers.narration[%d]", i), k)
	}
	if l.TimeOfDay != "" && !contains(TimesOfDay, l.TimeOfDay) {
		addf(errs, "layers.time_of_day", "choice", map[string]any{"Value": l.TimeOfDay}, "%q is not one of %v", l.TimeOfDay, TimesOfDay)
	}
	for i, e := range l.Events {
		if !t.HasEvent(e) {
			addf(errs, fmt.Sprintf("layers.events[%d]", i), "unknown_event", map[string]any{"Value": e}, "%s has no event %q", t.ID, e)
		}
	}
}

func sortedKeys(p Params) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Revision is an immutable, numbered snapshot of a validated composition; a
// session stores the Hash of the revision it ran.
type Revision struct {
	Number int    `json:"number"`
	Hash   string `json:"hash"`
	body   []byte
}

// NewRevision validates c and freezes it as revision prev+1 (prev is nil for
// the first revision).
func NewRevision(cat *Catalog, prev *Revision, c Composition) (Revision, error) {
	valid, err := c.Validate(cat)
	if err != nil {
		return Revision{}, err
	}
	body, err := json.Marshal(valid)
	if err != nil {
		return Revision{}, fmt.Errorf("environments: encoding revision: %w", err)
	}
	n := 1
	if prev != nil {
		n = prev.Number + 1
	}
	return Revision{Number: n, Hash: ContentHash(body), body: body}, nil
}

// ContentHash is the sha256 of canonical JSON (encoding/json sorts map keys).
func ContentHash(canonicalJSON []byte) string {
	sum := sha256.Sum256(canonicalJSON)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Body returns a copy of the canonical JSON of the revision.
func (r Revision) Body() []byte { return bytes.Clone(r.body) }

// Composition decodes a fresh copy, so callers cannot mutate the revision.
func (r Revision) Composition() (Composition, error) {
	return DecodeComposition(r.body)
}

// SameContent reports whether two revisions carry identical content.
func (r Revision) SameContent(o Revision) bool { return r.Hash == o.Hash }

// plainNumber turns a json.Number into an int when integral, else a float64.
func plainNumber(n json.Number) any {
	if i, err := n.Int64(); err == nil && i > -1<<53 && i < 1<<53 {
		return int(i)
	}
	if f, err := n.Float64(); err == nil {
		return f
	}
	return n.String()
}
