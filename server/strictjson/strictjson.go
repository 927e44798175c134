// Package strictjson decodes JSON from outside the server strictly: keys
// must match a field's name exactly (encoding/json folds case), a key may
// appear once per object (encoding/json keeps the last), the text must be
// valid UTF-8 (encoding/json turns bad bytes into U+FFFD, RFC 8259 §8.1
// requires UTF-8), and nothing may follow the value. REST bodies and
// data-channel frames share it; errors are coded (package apierr).
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/havenvr/haven/server/apierr"
)

// Decode reads all of r and decodes it strictly into v.
func Decode(r io.Reader, v any) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return coded(err)
	}
	return Unmarshal(data, v)
}

// Unmarshal decodes data strictly into v (a non-nil pointer).
func Unmarshal(data []byte, v any) error {
	if !utf8.Valid(data) {
		return apierr.Wrap(apierr.InvalidJSON, errors.New("strictjson: not valid UTF-8"))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return coded(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apierr.Wrap(apierr.InvalidJSON, errors.New("strictjson: data after the value"))
	}
	// The document is well formed and fits v: now the rules encoding/json
	// does not keep. Walking it again costs one more pass over a small body.
	w := json.NewDecoder(bytes.NewReader(data))
	w.UseNumber()
	return walk(w, reflect.TypeOf(v), "")
}

// coded maps encoding/json's errors to API codes naming the field.
func coded(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apierr.New(apierr.BodyTooLarge)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return apierr.Invalid(te.Field, "wrong type: expected "+te.Type.String())
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		field, uerr := strconv.Unquote(strings.TrimPrefix(msg, "json: unknown field "))
		if uerr != nil {
			field = strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		}
		return unknown(field, err)
	}
	return apierr.Wrap(apierr.InvalidJSON, err)
}

func unknown(field string, err error) *apierr.Error {
	e := apierr.Wrap(apierr.UnknownField, err)
	e.Field = field
	return e.With("Field", field)
}

func duplicate(field string) *apierr.Error {
	e := apierr.Wrap(apierr.DuplicateField, errors.New("strictjson: duplicate key "+strconv.Quote(field)))
	e.Field = field
	return e.With("Field", field)
}

// walk reads one value from dec, checking objects against t (nil: any
// shape, only duplicates are refused).
func walk(dec *json.Decoder, t reflect.Type, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return apierr.Wrap(apierr.InvalidJSON, err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	t = shape(t)
	if d == '[' {
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walk(dec, elem, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	seen := map[string]bool{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return apierr.Wrap(apierr.InvalidJSON, err)
		}
		key, _ := kt.(string)
		name := join(path, key)
		if seen[key] {
			return duplicate(name)
		}
		seen[key] = true
		var ft reflect.Type
		switch {
		case t == nil:
		case t.Kind() == reflect.Map:
			ft = t.Elem()
		case t.Kind() == reflect.Struct:
			f, ok := fieldsOf(t)[key]
			if !ok {
				// encoding/json matched it to a field by folding case.
				return unknown(name, nil)
			}
			ft = f
		}
		if err := walk(dec, ft, name); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	unmarshaler     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// shape is the type whose layout the JSON must follow: pointers removed;
// nil for interfaces and types that decode themselves.
func shape(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) ||
			t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Interface:
			return nil
		default:
			return t
		}
	}
	return nil
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf maps the exact JSON names of a struct's fields (promoted ones
// from embedded structs included) to their types.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	collect(t, m, 0)
	fieldCache.Store(t, m)
	return m
}

func collect(t reflect.Type, m map[string]reflect.Type, depth int) {
	if depth > 8 {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				sub := map[string]reflect.Type{}
				collect(et, sub, depth+1)
				for k, v := range sub {
					if _, taken := m[k]; !taken {
						m[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
}
