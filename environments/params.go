package environments

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
)

// Params are parameter values by name: int, float64, bool or string (enum).
type Params map[string]any

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,47}$`)
var keyPattern = regexp.MustCompile(`^[a-z][a-zA-Z0-9_.-]{0,127}$`)

// number reads a JSON-ish number.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// canonical converts decoded JSON values into the Go type of the parameter
// type, leaving values of the wrong type untouched for validation to name.
func canonical(typ string, v any) any {
	f, ok := number(v)
	if !ok {
		return v
	}
	switch typ {
	case TypeInt:
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int(f)
		}
	case TypeFloat:
		return f
	}
	return v
}

// Check validates a value against the parameter declaration; field is the
// path used in errors (e.g. "params.floor").
func (p *Param) Check(field string, v any, errs *ValidationErrors) {
	switch p.Type {
	case TypeBool:
		if _, ok := v.(bool); !ok {
			addf(errs, field, "type", map[string]any{"Type": p.Type}, "%s is not a bool", show(v))
		}
	case TypeEnum:
		s, ok := v.(string)
		if !ok || !contains(p.Choices, s) {
			addf(errs, field, "choice", map[string]any{"Value": show(v)}, "%s is not one of %v", show(v), p.Choices)
		}
	case TypeInt, TypeFloat:
		f, ok := number(v)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			addf(errs, field, "type", map[string]any{"Type": p.Type}, "%s is not a %s", show(v), p.Type)
			return
		}
		if p.Type == TypeInt && f != math.Trunc(f) {
			addf(errs, field, "type", map[string]any{"Type": p.Type}, "%s is not an int", show(v))
			return
		}
		if p.Min != nil && f < *p.Min {
			addf(errs, field, "below_min", map[string]any{"Value": show(v), "Min": fmtNum(*p.Min)},
				"%s is below the minimum %s", show(v), fmtNum(*p.Min))
		}
		if p.Max != nil && f > *p.Max {
			addf(errs, field, "above_max", map[string]any{"Value": show(v), "Max": fmtNum(*p.Max)},
				"%s is above the maximum %s", show(v), fmtNum(*p.Max))
		}
	}
}

func show(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case float64:
		return fmtNum(x)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func contains(list []string, s string) bool {
	for _, c := range list {
		if c == s {
			return true
		}
	}
	return false
}

// Check reports every structural problem of a template: ids, kinds, types,
// ranges, defaults inside ranges and a well-formed, in-range intensity map.
func (t *Template) Check() ValidationErrors {
	var errs ValidationErrors
	if !idPattern.MatchString(t.ID) {
		addf(&errs, "id", "pattern", nil, "%q is not a lower_snake id", t.ID)
	}
	if t.Kind != KindExposure && t.Kind != KindCalming {
		addf(&errs, "kind", "choice", map[string]any{"Value": t.Kind}, "%q is not exposure or calming", t.Kind)
	}
	if t.Purpose == "" {
		addf(&errs, "purpose", "required", nil, "is required")
	}
	checkKey(&errs, "label_key", t.LabelKey)
	checkKey(&errs, "help_key", t.HelpKey)
	if len(t.Params) == 0 || len(t.Params) > 32 {
		addf(&errs, "params", "count", nil, "needs 1–32 parameters, has %d", len(t.Params))
	}
	seen := map[string]bool{}
	for i := range t.Params {
		p := &t.Params[i]
		f := fmt.Sprintf("params[%d]", i)
		if !idPattern.MatchString(p.Name) || seen[p.Name] {
			addf(&errs, f+".name", "unique_id", nil, "%q is not a unique lower_snake name", p.Name)
		}
		seen[p.Name] = true
		p.checkDecl(f, &errs)
	}
	for i, e := range t.Events {
		if !idPattern.MatchString(e.ID) || seen["event:"+e.ID] {
			addf(&errs, fmt.Sprintf("events[%d].id", i), "unique_id", nil, "%q is not a unique lower_snake id", e.ID)
		}
		seen["event:"+e.ID] = true
		checkKey(&errs, fmt.Sprintf("events[%d].label_key", i), e.LabelKey)
	}
	for i, a := range t.Ambient {
		if !idPattern.MatchString(a.ID) || a.Sound == "" || a.Volume < 0 || a.Volume > 1 {
			addf(&errs, fmt.Sprintf("ambient[%d]", i), "ambient", nil, "needs an id, a sound and a volume 0–1")
		}
	}
	t.checkStimulus(&errs)
	return errs
}

func checkKey(errs *ValidationErrors, field, key string) {
	if !keyPattern.MatchString(key) {
		addf(errs, field, "key", nil, "%q is not a message id", key)
	}
}

func (p *Param) checkDecl(f string, errs *ValidationErrors) {
	checkKey(errs, f+".label_key", p.LabelKey)
	checkKey(errs, f+".help_key", p.HelpKey)
	switch p.Type {
	case TypeInt, TypeFloat:
		if p.Min == nil || p.Max == nil || *p.Min > *p.Max {
			addf(errs, f+".min", "range", nil, "numbers need min ≤ max")
			return
		}
	case TypeEnum:
		if len(p.Choices) < 2 {
			addf(errs, f+".choices", "count", nil, "an enum needs at least 2 choices")
			return
		}
	case TypeBool:
	default:
		addf(errs, f+".type", "choice", map[string]any{"Value": p.Type}, "%q is not int, float, bool or enum", p.Type)
		return
	}
	p.Check(f+".default", p.Default, errs)
	m := p.Intensity
	if m == nil {
		return
	}
	switch p.Type {
	case TypeEnum:
		if len(m.Order) < 2 {
			addf(errs, f+".intensity.order", "count", nil, "needs at least 2 choices, easy first")
		}
		for k, c := range m.Order {
			if !contains(p.Choices, c) || contains(m.Order[:k], c) {
				addf(errs, fmt.Sprintf("%s.intensity.order[%d]", f, k), "choice", map[string]any{"Value": c}, "%q is not a distinct choice", c)
			}
		}
	case TypeBool:
		eb, ok1 := m.Easy.(bool)
		hb, ok2 := m.Hard.(bool)
		if !ok1 || !ok2 || eb == hb || m.At < 1 || m.At > 100 {
			addf(errs, f+".intensity", "mapping", nil, "a bool needs distinct easy/hard and at 1–100")
		}
	default:
		p.Check(f+".intensity.easy", m.Easy, errs)
		p.Check(f+".intensity.hard", m.Hard, errs)
		if m.Easy == m.Hard {
			addf(errs, f+".intensity", "mapping", nil, "easy and hard must differ")
		}
	}
}
