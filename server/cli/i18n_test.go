package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := I18n(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestI18nCoverageJSON(t *testing.T) {
	t.Parallel()
	code, out, errs := run(t, "coverage", "--json")
	var got struct {
		Complete bool `json:"complete"`
		Total    int  `json:"total"`
		Locales  []struct {
			Locale     string  `json:"locale"`
			Translated int     `json:"translated"`
			Total      int     `json:"total"`
			Percent    float64 `json:"percent"`
		} `json:"locales"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if code != 0 || !got.Complete || len(got.Locales) != 8 || got.Total == 0 {
		t.Fatalf("code %d complete %v locales %d stderr %s", code, got.Complete, len(got.Locales), errs)
	}
	for _, l := range got.Locales {
		if l.Percent != 100 || l.Translated != got.Total {
			t.Errorf("%s at %.2f%%", l.Locale, l.Percent)
		}
	}
}

func TestI18nCoverageText(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, "coverage")
	if code != 0 || !strings.Contains(out, "pt-BR") || !strings.Contains(out, "en-XA") || !strings.Contains(out, "rtl") {
		t.Fatalf("code %d out %s", code, out)
	}
}

// TestI18nExportImportRoundTrip: what export writes, import accepts
// unchanged, for every shipped locale.
func TestI18nExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, loc := range []string{"en", "es", "fr", "de", "pt-BR", "ar", "zh-Hans"} {
		code, out, errs := run(t, "export", "--locale", loc)
		if code != 0 {
			t.Fatalf("export %s: %s", loc, errs)
		}
		path := filepath.Join(dir, "translation."+loc+".json")
		if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		code, sum, errs := run(t, "import", path)
		if code != 0 || !strings.Contains(sum, "locale "+loc) || !strings.Contains(sum, " 0 changed, 0 new, 0 still missing") {
			t.Fatalf("import %s: code %d %s %s", loc, code, sum, errs)
		}
	}
}

func TestI18nImportRejects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.ar.json")
	bad := `{"error.nope":{"other":"x"},"error.internal":{"other":"{{.X"},"error.rate_limited":{"one":"a","other":"b"}}`
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := run(t, "import", path)
	if code != 1 {
		t.Fatalf("code %d", code)
	}
	for _, want := range []string{"error.nope", "error.internal", "error.rate_limited", "zero, two, few, many", "nothing was accepted"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q: %s", want, errs)
		}
	}
}

func TestI18nUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"none", nil, 2},
		{"unknown", []string{"frobnicate"}, 2},
		{"export without locale", []string{"export"}, 2},
		{"export unknown locale", []string{"export", "--locale", "ja"}, 1},
		{"import missing file", []string{"import", "/nonexistent/x.fr.json"}, 1},
		{"import no arg", []string{"import"}, 2},
		{"bad flag", []string{"coverage", "--nope"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if code, _, _ := run(t, tt.args...); code != tt.want {
				t.Fatalf("code %d want %d", code, tt.want)
			}
		})
	}
}
