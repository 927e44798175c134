package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runDomain(t *testing.T, cmd func(context.Context, []string, io2, io2) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cmd(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEnvironmentsList(t *testing.T) {
	t.Parallel()
	code, out, _ := runDomain(t, envCmd, "list")
	if code != 0 || !strings.Contains(out, "heights") || !strings.Contains(out, "floor(int)") || strings.Count(out, "\n") != 10 {
		t.Fatalf("code %d, out:\n%s", code, out)
	}
	code, out, _ = runDomain(t, envCmd, "list", "--json")
	if code != 0 || !strings.Contains(out, `"label_key": "env.heights.label"`) {
		t.Fatalf("json list: %d %s", code, out)
	}
}

func TestEnvironmentsValidate(t *testing.T) {
	t.Parallel()
	good := writeTemp(t, "good.json", `{"template":"heights","params":{"floor":12},"layers":{"comfort":{"seated":true}}}`)
	bad := writeTemp(t, "bad.json", `{"template":"heights","params":{"floor":42,"railing":"yes"},"layers":{}}`)
	tpl, _ := os.ReadFile("../../environments/templates/spiders.json")
	tplFile := writeTemp(t, "spiders.json", string(tpl))
	badTpl := writeTemp(t, "t.json", strings.Replace(string(tpl), `"default": 0,`, `"default": 99,`, 1))
	cases := []struct {
		name    string
		args    []string
		code    int
		wantErr string
	}{
		{"good composition", []string{"validate", good}, 0, ""},
		{"good template", []string{"validate", tplFile}, 0, ""},
		{"out of range", []string{"validate", good, bad}, 1, "params.floor: 42 is above the maximum 30"},
		{"wrong type", []string{"validate", bad}, 1, `params.railing: "yes" is not a bool`},
		{"bad template", []string{"validate", badTpl}, 1, "params[0].default: 99 is above the maximum 12"},
		{"missing file", []string{"validate", "/nonexistent.json"}, 1, "no such file"},
		{"no files", []string{"validate"}, 2, "Usage"},
		{"unknown subcommand", []string{"paint"}, 2, "unknown subcommand"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runDomain(t, envCmd, c.args...)
			if code != c.code || !strings.Contains(stderr, c.wantErr) {
				t.Fatalf("code %d (want %d), stderr %q (want %q)", code, c.code, stderr, c.wantErr)
			}
		})
	}
}
