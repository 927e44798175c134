package groups

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/havenvr/haven/i18n"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/strictjson"
)

const ph = "[removed to protect your privacy]"

func TestSanitize(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain", "hello there", "hello there"},
		{"right-to-left override", "pay \u202Etxt.exe\u202C now", "pay txt.exe now"},
		{"isolates and marks", "a\u2066b\u2069c\u200Fd\u061C", "abcd"},
		{"controls", "bell\u0007 esc\u001b[31m c1\u0085", "bell esc[31m c1"},
		{"zero width hides words", "k\u200Bill", "kill"},
		{"emoji joiner kept", "👩\u200D💻", "👩\u200D💻"},
		{"blank lines collapsed", "a\n\n\n\n\nb", "a\n\nb"},
		{"invalid utf8", "ok\xff\xfe!", "ok!"},
		{"nfc", "e\u0301", "é"},
		{"trimmed", "  \t hi \n", "hi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sanitize(tc.in); got != tc.want {
				t.Fatalf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		leaks    []string
		kind     PIIKind
	}{
		{"international phone", "call +1 (555) 123-4567 now", []string{"555", "4567"}, PIIPhone},
		{"uk mobile", "07700 900 123", []string{"900"}, PIIPhone},
		{"e-mail", "write to jo.smith+x@mail.example.org", []string{"jo.smith", "example"}, PIIEmail},
		{"obfuscated e-mail", "jo (at) example (dot) com", []string{"example"}, PIIEmail},
		{"url", "see https://evil.example/x?y=1", []string{"evil"}, PIIURL},
		{"bare domain", "find me on myblog.com/about", []string{"myblog"}, PIIURL},
		{"handle", "dm me @jo_smith99", []string{"jo_smith"}, PIIHandle},
		{"english street", "I live at 42 Oak Tree Road", []string{"Oak", "42"}, PIIAddress},
		{"spanish street", "vivo en Calle Mayor 15", []string{"Mayor", "15"}, PIIAddress},
		{"french street", "au 5 rue de la Paix", []string{"Paix"}, PIIAddress},
		{"german street", "Hauptstraße 12 in Berlin", []string{"Haupt", "12"}, PIIAddress},
		{"chinese street", "我住在中山路12号", []string{"中山", "12"}, PIIAddress},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkRedacted(t, tc.in, tc.leaks, tc.kind) })
	}
	for _, clean := range []string{"I flew for the first time in 2019 and 2020!", "My therapist said 3 breaths, then 5.", "I'm 34 and scared of lifts", "第3次尝试"} {
		if got, kinds := Redact(clean, ph); got != clean || kinds != nil {
			t.Errorf("Redact(%q) = %q %v, want unchanged", clean, got, kinds)
		}
	}
}

// checkRedacted asserts that Redact removes every leak from in, puts the
// placeholder in its place and reports kind.
func checkRedacted(t *testing.T, in string, leaks []string, kind PIIKind) {
	t.Helper()
	got, kinds := Redact(Sanitize(in), ph)
	for _, l := range leaks {
		if strings.Contains(got, l) {
			t.Errorf("Redact(%q) = %q still contains %q", in, got, l)
		}
	}
	if !strings.Contains(got, ph) {
		t.Errorf("Redact(%q) = %q, no placeholder", in, got)
	}
	if !slices.Contains(kinds, kind) {
		t.Errorf("Redact(%q) kinds = %v, want %s", in, kinds, kind)
	}
}

func TestPhraseSet(t *testing.T) {
	t.Parallel()
	ps := NewPhraseSet(append(append(defaultCrisis["en"], defaultCrisis["pt-BR"]...), append(defaultCrisis["zh-Hans"], defaultCrisis["ar"]...)...))
	tests := []struct {
		text string
		hit  bool
	}{
		{"I want to KILL MYSELF.", true},
		{"Não aguento, quero morrer", true},
		{"Penso em suicídio", true},
		{"我真的想死", true},
		{"أريد أن أموت", true},
		{"I killed it at my presentation", false},
		{"skill myself up", false},
		{"I was scared on the plane but okay", false},
	}
	for _, tc := range tests {
		if got := ps.Match(foldForMatch(tc.text)) != ""; got != tc.hit {
			t.Errorf("Match(%q) = %v, want %v", tc.text, got, tc.hit)
		}
	}
}

func TestEveryLocaleHasCrisisPhrasesAndResourcesAreDated(t *testing.T) {
	t.Parallel()
	for _, loc := range []string{"en", "es", "fr", "de", "pt-BR", "ar", "zh-Hans"} {
		if NewPhraseSet(defaultCrisis[loc]).Len() < 5 {
			t.Errorf("%s: too few crisis phrases", loc)
		}
	}
	for _, r := range BuiltinResources() {
		if r.LastVerified.IsZero() || r.Name == "" || (r.Phone == "" && r.URL == "") {
			t.Errorf("resource %+v incomplete", r)
		}
	}
}

func TestValidPseudonym(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"Calm Otter 42", true}, {"Sol", true}, {"Ana-María", true},
		{"Moderator", false}, {"M0d3rat0r Max", false}, {"the admin", false}, {"Haven Staff", false}, {"管理员小王", false},
		{"ab", false}, {"x\u202Eevil", true}, {"<script>", false}, {strings.Repeat("a", 40), false},
	}
	for _, tc := range tests {
		if _, ok := ValidPseudonym(tc.in); ok != tc.ok {
			t.Errorf("ValidPseudonym(%q) = %v, want %v", tc.in, ok, tc.ok)
		}
	}
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		n := NewPseudonym()
		if _, ok := ValidPseudonym(n); !ok {
			t.Fatalf("generated %q is not valid", n)
		}
		seen[n] = true
	}
	if len(seen) < 40 {
		t.Fatalf("only %d distinct names in 50", len(seen))
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		code     apierr.Code
		typ      string
	}{
		{"send", `{"v":1,"type":"chat.send","seq":3,"t":5,"body":{"text":"hi"}}`, "", TypeSend},
		{"typing without body", `{"v":1,"type":"chat.typing"}`, "", TypeTyping},
		{"react", `{"v":1,"type":"chat.react","body":{"msg":"abc234","emoji":"❤️"}}`, "", TypeReact},
		{"report", `{"v":1,"type":"chat.report","body":{"msg":"abc234","reason":"worried"}}`, "", TypeReport},
		{"bad report reason", `{"v":1,"type":"chat.report","body":{"msg":"abc234","reason":"spam"}}`, apierr.Validation, ""},
		{"too long text", `{"v":1,"type":"chat.send","body":{"text":"` + strings.Repeat("é", MaxTextRunes+1) + `"}}`, apierr.MessageTooLarge, ""},
		{"trailing data", `{"v":1,"type":"ping"} {}`, apierr.InvalidJSON, ""},
		{"version 0", `{"type":"ping"}`, apierr.UnsupportedVersion, ""},
		{"wrong type", `{"v":"1","type":"ping"}`, apierr.Validation, ""},
		{"extra envelope field", `{"v":1,"type":"ping","from":"mod"}`, apierr.UnknownField, ""},
		{"duplicate body key", `{"v":1,"type":"chat.send","body":{"text":"a","text":"b"}}`, apierr.DuplicateField, ""},
		{"duplicate envelope key", `{"v":1,"v":1,"type":"ping"}`, apierr.DuplicateField, ""},
		{"cased body key", `{"v":1,"type":"chat.send","body":{"TEXT":"a"}}`, apierr.UnknownField, ""},
		{"cased envelope key", `{"V":1,"type":"ping"}`, apierr.UnknownField, ""},
		{"invalid UTF-8", "{\"v\":1,\"type\":\"chat.send\",\"body\":{\"text\":\"\xc3\"}}", apierr.InvalidJSON, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := Decode([]byte(tc.in))
			if tc.code == "" {
				if err != nil || in.Type != tc.typ {
					t.Fatalf("Decode = %+v, %v", in, err)
				}
				return
			}
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Code != tc.code {
				t.Fatalf("Decode error = %v, want %s", err, tc.code)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"v":1,"type":"chat.send","body":{"text":"hi"}}`))
	f.Add([]byte(`{"v":1,"type":"chat.react","body":{"msg":"abc","emoji":"🤗"}}`))
	f.Add([]byte(`{"v":1,"type":"chat.report","body":{"msg":"abc","reason":"harmful"}}`))
	f.Add([]byte(`{"v":1,"type":"chat.typing","body":null}`))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"v":1,"type":"chat.send","body":{"text":"a","text":"b"}}`))
	f.Add([]byte(`{"v":1,"Type":"chat.send","body":{"Text":"a"}}`))
	f.Add([]byte("{\"v\":1,\"type\":\"chat.send\",\"body\":{\"text\":\"\xff\"}}"))
	f.Add([]byte(`{"v":1,"type":"circle.pose","body":{"h":[0,1.2,0,0,0,0,1],"l":[0.2,0.9,-0.3]}}`))
	f.Add([]byte(`{"v":1,"type":"circle.pose","body":{"h":[0,1.2,0,0,0,0,1e308]}}`))
	f.Add([]byte(`{"v":1,"type":"circle.avatar","body":{"shape":"bell","colour":"teal","accessory":"none"}}`))
	f.Add([]byte(`{"v":1,"type":"voice.hand","body":{"up":true}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Decode(data)
		if err != nil {
			var ae *apierr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		// Accepted frames are what strictjson accepts: valid UTF-8, and
		// no key repeated or folded (a generic decode must agree).
		if !utf8.Valid(data) {
			t.Fatal("invalid UTF-8 accepted")
		}
		var generic any
		if err := strictjson.Unmarshal(data, &generic); err != nil {
			t.Fatalf("frame accepted that strictjson refuses: %v", err)
		}
		if in.Type == TypeSend && len([]rune(in.Send.Text)) > MaxTextRunes {
			t.Fatal("oversized text accepted")
		}
		if len(data) > MaxFrame {
			t.Fatal("oversized frame accepted")
		}
		// An accepted pose is within reach of its seat with a unit rotation;
		// an accepted figure is one of the listed choices.
		if in.Type == TypePose {
			if validPose(in.Pose) != nil {
				t.Fatalf("pose accepted that validPose refuses: %+v", in.Pose)
			}
			for i, v := range quantizePose(in.Pose) {
				if math.IsNaN(v) || math.Abs(v) > maxPoseMetres+0.01 {
					t.Fatalf("quantized pose value %d = %v", i, v)
				}
			}
		}
		if in.Type == TypeAvatar && !in.Avatar.valid() {
			t.Fatalf("figure accepted that is not a listed choice: %+v", in.Avatar)
		}
	})
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"call +1 555 123 4567", "jo@example.com", "12 Oak Street", "Calle Mayor 5", "中山路12号",
		"www.x.io/path", "@handle", "plain words", "\u202Ebidi", "شارع الحرية 12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		clean := Sanitize(s)
		if Sanitize(clean) != clean {
			t.Fatalf("Sanitize not idempotent on %q", s)
		}
		for _, r := range clean {
			if isBidiControl(r) || (r < 0x20 && r != '\n') {
				t.Fatalf("control %U survived in %q", r, clean)
			}
		}
		out, _ := Redact(clean, ph)
		again, kinds := Redact(out, ph)
		if again != out || kinds != nil {
			t.Fatalf("redaction left PII %v in %q (from %q)", kinds, out, s)
		}
	})
}

func TestShippedPlaceholdersAreStable(t *testing.T) {
	t.Parallel()
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range i18n.Shipped {
		p := b.ForLocale("", loc).T("group.redacted", nil)
		if p == "group.redacted" || Sanitize(p) != p {
			t.Fatalf("%s placeholder %q", loc, p)
		}
		out, _ := Redact("call 0207 946 0958 or x@y.org", p)
		if again, kinds := Redact(out, p); again != out || kinds != nil {
			t.Errorf("%s: placeholder %q is itself redacted (%v)", loc, p, kinds)
		}
	}
}
