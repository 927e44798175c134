package i18n

import (
	"testing"
)

// FuzzDecodeFile: the locale-file decoder must never panic and must accept
// only texts whose templates parse.
func FuzzDecodeFile(f *testing.F) {
	f.Add("core.en.json", []byte(`{"core.x":{"description":"d","other":"Hi {{.Name}}"}}`))
	f.Add("a.pt-BR.json", []byte(`{"a":{"b":{"one":"1","other":"n"}}}`))
	f.Add("a.ar.json", []byte(`[{"id":"x","other":"y"}]`))
	f.Add("bad.json", []byte(`{"x":{"other":"{{"}}`))
	f.Add("a.zh-Hans.json", []byte(`"just a string"`))
	f.Add("a..json", []byte(`{"x":{"description":1}}`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		_, msgs, err := decodeFile(name, data)
		if err != nil {
			return
		}
		for id, e := range msgs {
			if id == "" {
				t.Fatal("empty id accepted")
			}
			if err := checkTemplates(id, "en", e.Text); err != nil {
				t.Fatalf("accepted a bad template: %v", err)
			}
		}
	})
}

// FuzzImport: a translator's file is outside input.
func FuzzImport(f *testing.F) {
	b, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("x.fr.json", []byte(`{"error.internal":{"other":"Oups"}}`), "")
	f.Add("x.json", []byte(`{"error.rate_limited":{"one":"a","other":"b {{.Count}}"}}`), "ar")
	f.Add("x.json", []byte(`{}`), "zz-!!")
	f.Add("x.de.json", []byte(`{"error.unknown_field":{"other":"{{.Field}} {{if}}"}}`), "")
	f.Fuzz(func(t *testing.T, name string, data []byte, loc string) {
		rep, err := b.Import(name, data, loc)
		if err != nil && rep == nil {
			return
		}
		for id, tx := range rep.Texts {
			if verr := b.validateText(rep.Locale, id, tx); verr != nil {
				t.Fatalf("report holds invalid text %s: %v", id, verr)
			}
		}
	})
}

// FuzzParseAcceptLanguage: headers are outside input.
func FuzzParseAcceptLanguage(f *testing.F) {
	b, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"ar", "pt-PT,pt;q=0.9", "zh-Hant-TW", "*", ";q=", "en;q=1.5", "x-klingon", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if len(ParseAcceptLanguage(h)) > maxAcceptEntries {
			t.Fatal("entry limit exceeded")
		}
		loc, err := b.Negotiate(Prefs{AcceptLanguage: h})
		if err != nil || b.msgs[loc] == nil {
			t.Fatalf("negotiated %q, %v", loc, err)
		}
	})
}
