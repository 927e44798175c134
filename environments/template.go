// Package environments holds Haven's scene templates (embedded JSON the WebXR
// client renders procedurally), the mapping from an exposure intensity 0–100
// onto their parameters, and the therapist's compositions built from them,
// validated with errors that name the field and revisioned immutably.
package environments

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strings"
)

// MaxTemplateBytes bounds one template document; real templates are < 8 KiB.
const MaxTemplateBytes = 64 << 10

// Template kinds.
const (
	KindExposure = "exposure"
	KindCalming  = "calming"
)

// Parameter types.
const (
	TypeInt   = "int"
	TypeFloat = "float"
	TypeBool  = "bool"
	TypeEnum  = "enum"
)

//go:embed templates/*.json
var builtinFS embed.FS

// Template is one scene kind the client can render, with its parameters.
type Template struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	Purpose  string    `json:"purpose"`
	LabelKey string    `json:"label_key"`
	HelpKey  string    `json:"help_key"`
	Params   []Param   `json:"params"`
	Events   []Event   `json:"events"`
	Ambient  []Ambient `json:"ambient"`
	// Stimulus anchors the feared stimulus in the scene (exposure templates).
	Stimulus []Stimulus `json:"stimulus,omitempty"`
}

// Param declares one scene parameter.
type Param struct {
	Name      string     `json:"name"`
	Type      string     `json:"type"`
	Unit      string     `json:"unit,omitempty"`
	Min       *float64   `json:"min,omitempty"`
	Max       *float64   `json:"max,omitempty"`
	Choices   []string   `json:"choices,omitempty"`
	Default   any        `json:"default"`
	LabelKey  string     `json:"label_key"`
	HelpKey   string     `json:"help_key"`
	Intensity *Intensity `json:"intensity,omitempty"`
}

// Intensity maps exposure intensity 0–100 onto one parameter, easy → hard.
// Numbers move linearly from Easy to Hard; a bool takes Hard from intensity
// At upwards; an enum walks Order (easy first) in equal bands.
type Intensity struct {
	Easy  any      `json:"easy,omitempty"`
	Hard  any      `json:"hard,omitempty"`
	At    int      `json:"at,omitempty"`
	Order []string `json:"order,omitempty"`
}

// Event is a one-shot event the therapist can fire.
type Event struct {
	ID       string `json:"id"`
	LabelKey string `json:"label_key"`
}

// Ambient is a sound layer the scene offers.
type Ambient struct {
	ID     string  `json:"id"`
	Sound  string  `json:"sound"`
	Volume float64 `json:"volume"`
}

// Param returns the named parameter.
func (t *Template) Param(name string) (*Param, bool) {
	for i := range t.Params {
		if t.Params[i].Name == name {
			return &t.Params[i], true
		}
	}
	return nil, false
}

// HasEvent reports whether the template declares the one-shot event id.
func (t *Template) HasEvent(id string) bool {
	for _, e := range t.Events {
		if e.ID == id {
			return true
		}
	}
	return false
}

// HasAmbient reports whether the template declares the ambient layer id.
func (t *Template) HasAmbient(id string) bool {
	for _, a := range t.Ambient {
		if a.ID == id {
			return true
		}
	}
	return false
}

// Defaults returns every parameter at its default value.
func (t *Template) Defaults() Params {
	p := make(Params, len(t.Params))
	for _, pr := range t.Params {
		p[pr.Name] = canonical(pr.Type, pr.Default)
	}
	return p
}

// ParamsAt returns the parameters for an exposure intensity 0–100 (clamped).
// Parameters without an intensity mapping keep their default.
func (t *Template) ParamsAt(intensity int) Params {
	i := min(max(intensity, 0), 100)
	p := t.Defaults()
	for _, pr := range t.Params {
		if pr.Intensity != nil {
			p[pr.Name] = pr.valueAt(i)
		}
	}
	return p
}

func (p *Param) valueAt(i int) any {
	m := p.Intensity
	switch p.Type {
	case TypeBool:
		if i >= m.At {
			return m.Hard
		}
		return m.Easy
	case TypeEnum:
		idx := min(i*len(m.Order)/101, len(m.Order)-1)
		return m.Order[idx]
	}
	easy, _ := number(m.Easy)
	hard, _ := number(m.Hard)
	v := easy + (hard-easy)*float64(i)/100
	if p.Type == TypeInt {
		return int(math.Round(v))
	}
	return math.Round(v*100) / 100
}

// Hardness places a value of this parameter on its easy(0) → hard(1) axis;
// ok is false for parameters without an intensity mapping.
func (p *Param) Hardness(v any) (h float64, ok bool) {
	m := p.Intensity
	if m == nil {
		return 0, false
	}
	switch p.Type {
	case TypeBool:
		if v == m.Hard {
			return 1, true
		}
		return 0, true
	case TypeEnum:
		s, _ := v.(string)
		for k, c := range m.Order {
			if c == s {
				return float64(k) / float64(max(len(m.Order)-1, 1)), true
			}
		}
		return 0, false
	}
	x, ok1 := number(v)
	easy, _ := number(m.Easy)
	hard, _ := number(m.Hard)
	if !ok1 || easy == hard {
		return 0, false
	}
	return (x - easy) / (hard - easy), true
}

// DecodeTemplate parses one template strictly (unknown fields rejected, size
// bounded) and checks it is well-formed.
func DecodeTemplate(data []byte) (*Template, error) {
	var t Template
	if err := decodeStrict(data, MaxTemplateBytes, &t); err != nil {
		return nil, fmt.Errorf("environments: decoding template: %w", err)
	}
	for i := range t.Params {
		p := &t.Params[i]
		p.Default = canonical(p.Type, p.Default)
		if p.Intensity != nil {
			p.Intensity.Easy = canonical(p.Type, p.Intensity.Easy)
			p.Intensity.Hard = canonical(p.Type, p.Intensity.Hard)
		}
	}
	if errs := t.Check(); len(errs) > 0 {
		return nil, fmt.Errorf("environments: template %q: %w", t.ID, errs)
	}
	return &t, nil
}

func decodeStrict(data []byte, limit int, v any) error {
	if len(data) > limit {
		return &FieldError{Field: "$", Rule: "size", MessageID: "env.error.too_large",
			Msg: fmt.Sprintf("document is %d bytes, above the limit %d", len(data), limit)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the document")
	}
	return nil
}

// Catalog is a set of templates keyed by id.
type Catalog struct {
	byID map[string]*Template
	ids  []string
}

// Builtin parses the embedded templates.
func Builtin() (*Catalog, error) {
	sub, err := fs.Sub(builtinFS, "templates")
	if err != nil {
		return nil, fmt.Errorf("environments: opening embedded templates: %w", err)
	}
	return LoadCatalog(sub)
}

// LoadCatalog parses every *.json in fsys except the schema.
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("environments: listing templates: %w", err)
	}
	c := &Catalog{byID: map[string]*Template{}}
	for _, n := range names {
		if strings.HasSuffix(n, ".schema.json") {
			continue
		}
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("environments: reading %s: %w", n, err)
		}
		t, err := DecodeTemplate(data)
		if err != nil {
			return nil, fmt.Errorf("environments: %s: %w", n, err)
		}
		if want := strings.TrimSuffix(path.Base(n), ".json"); t.ID != want {
			return nil, fmt.Errorf("environments: %s declares id %q", n, t.ID)
		}
		c.byID[t.ID] = t
		c.ids = append(c.ids, t.ID)
	}
	sort.Strings(c.ids)
	return c, nil
}

// Get returns the template with this id.
func (c *Catalog) Get(id string) (*Template, bool) {
	t, ok := c.byID[id]
	return t, ok
}

// List returns all templates sorted by id.
func (c *Catalog) List() []*Template {
	out := make([]*Template, 0, len(c.ids))
	for _, id := range c.ids {
		out = append(out, c.byID[id])
	}
	return out
}
