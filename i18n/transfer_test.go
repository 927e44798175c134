package i18n

import (
	"errors"
	"testing"
)

// TestExportImportRoundTrip: every shipped locale exported and imported
// back yields exactly the built-in texts, none changed, none new.
func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	for _, loc := range Shipped {
		t.Run(loc, func(t *testing.T) {
			t.Parallel()
			data, err := b.Export(loc)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := b.Import("translation."+loc+".json", data, "")
			if err != nil {
				t.Fatal(err)
			}
			if rep.Locale != loc || rep.Messages != len(b.msgs[loc]) || rep.Unchanged != rep.Messages || len(rep.Changed)+len(rep.New)+len(rep.Missing) != 0 {
				t.Fatalf("report %+v", rep)
			}
			for id, e := range b.msgs[loc] {
				if rep.Texts[id] != e.Text {
					t.Fatalf("%s changed: %+v vs %+v", id, rep.Texts[id], e.Text)
				}
			}
			again, err := b.Export(loc)
			if err != nil || string(again) != string(data) {
				t.Fatal("export not stable")
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	tests := []struct {
		name, file, loc, data string
		want                  error
	}{
		{"not json", "x.fr.json", "", `{`, nil},
		{"unknown id", "x.fr.json", "", `{"error.nope":{"other":"x"}}`, ErrUnknownMessage},
		{"bad template", "x.fr.json", "", `{"error.internal":{"other":"{{.X"}}`, ErrBadTemplate},
		{"plural incomplete", "x.ar.json", "", `{"error.rate_limited":{"one":"a","other":"b"}}`, ErrPluralForms},
		{"malformed locale", "x.json", "e_n!", `{}`, ErrMalformedLocale},
		{"pseudo", "x.en-XA.json", "", `{}`, ErrUnsupportedLocale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.Import(tt.file, []byte(tt.data), tt.loc)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("got %v want %v", err, tt.want)
			}
		})
	}
}

func TestImportNewLocale(t *testing.T) {
	t.Parallel()
	b := mustLoad(t)
	rep, err := b.Import("core.it.json", []byte(`{"error.internal":{"description":"d","other":"Qualcosa è andato storto."}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Locale != "it" || len(rep.New) != 1 || len(rep.Missing) != len(b.IDs())-1 {
		t.Fatalf("report %+v", rep)
	}
}
