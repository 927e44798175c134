package groups

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// The forms a probe got past the old redactor (issue: PII redaction misses
// common forms), each with the parts that must not survive.
func TestRedactNormalizesBeforeMatching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		leaks    []string
		kind     PIIKind
	}{
		{"spelled at and dot (docs/groups.md promises it)", "write me janedoe at gmail dot com", []string{"janedoe", "gmail"}, PIIEmail},
		{"spanish arroba/punto", "escríbeme a janedoe arroba gmail punto com", []string{"janedoe", "gmail"}, PIIEmail},
		{"french arobase/point", "écris à janedoe arobase gmail point fr", []string{"janedoe", "gmail"}, PIIEmail},
		{"german ät/punkt", "schreib janedoe ät gmx punkt de", []string{"janedoe", "gmx"}, PIIEmail},
		{"portuguese arroba/ponto", "me escreve janedoe arroba gmail ponto com", []string{"janedoe", "gmail"}, PIIEmail},
		{"arabic at/dot", "راسلني janedoe آت gmail دوت com", []string{"janedoe", "gmail"}, PIIEmail},
		{"chinese at/dot", "邮箱janedoe艾特qq点com", []string{"janedoe", "qq点"}, PIIEmail},
		{"bracketed", "jane [at] example {dot} org", []string{"jane", "example"}, PIIEmail},
		{"fullwidth e-mail", "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", []string{"ｊａｎｅ", "ｅｘａｍｐｌｅ"}, PIIEmail},
		{"spaced-out letters", "j a n e d o e @ g m a i l . c o m", []string{"j a n e", "g m a i l"}, PIIEmail},
		{"ideographic full stop", "jane@example。com", []string{"jane", "example"}, PIIEmail},
		// U+0660–0669 ARABIC-INDIC DIGIT ZERO…NINE
		{"arabic-indic digits", "رقمي ٠٧٧٠٠ ٩٠٠ ١٢٣", []string{"٩٠٠", "١٢٣"}, PIIPhone},
		// U+06F0–06F9 EXTENDED ARABIC-INDIC DIGIT ZERO…NINE
		{"extended arabic-indic digits", "شماره ۰۹۱۲۳۴۵۶۷۸۹", []string{"۴۵۶"}, PIIPhone},
		// U+0966–096F DEVANAGARI DIGIT ZERO…NINE
		{"devanagari digits", "call ९८७६५४३२१०", []string{"९८७६"}, PIIPhone},
		// U+FF10–FF19 FULLWIDTH DIGIT ZERO…NINE
		{"fullwidth digits", "电话 ０７７００ ９００ １２３", []string{"９００", "１２３"}, PIIPhone},
		{"mixed scripts in one number", "07७00 ٩00 1２3", []string{"٩00", "1２3"}, PIIPhone},
		{"spaced digits", "0 7 7 0 0 9 0 0 1 2 3", []string{"9 0 0"}, PIIPhone},
		{"tld outside any list", "my blog is mysite.dev", []string{"mysite"}, PIIURL},
		{"new gTLD with path", "see jane.photography/portfolio", []string{"jane", "portfolio"}, PIIURL},
		{"spelled dot domain", "mysite dot dev", []string{"mysite"}, PIIURL},
		{"handle after platform", "insta: jane_doe_1990", []string{"jane_doe_1990"}, PIIHandle},
		{"handle after platform with is", "my telegram is jane.doe.90", []string{"jane.doe.90"}, PIIHandle},
		{"snap with @", "snap @janedoe", []string{"janedoe"}, PIIHandle},
		{"arabic platform", "انستا: jane_doe", []string{"jane_doe"}, PIIHandle},
		{"wechat in chinese", "微信：jane_doe88", []string{"jane_doe88"}, PIIHandle},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkRedacted(t, tc.in, tc.leaks, tc.kind) })
	}
}

// Ordinary sentences that share words with the tricks above stay whole:
// the redactor must not eat a member's words.
func TestRedactLeavesOrdinaryText(t *testing.T) {
	t.Parallel()
	for _, clean := range []string{
		"I was at home. Then I cried.",
		"At this point we were all tired, point taken.",
		"instagram is toxic for me",
		"there's a dot on my skin",
		"I'm at a loss, Dr said it will pass",
		"Ich war um 8 Uhr am Punkt zu Hause.",
		"Je suis à la maison, point final.",
		"estaba en casa a las 5 en punto",
		"كنت في البيت، نقطة.",
		"我今天点了外卖",
		"I flew for the first time in 2019 and 2020!",
		"第٣次尝试 was hard",
		"my snap decision was wrong",
		"Line is busy at the clinic",
		"e.g. breathing, i.e. slowly...",
		"We are 3 or 4 people, a b c d e",
	} {
		if got, kinds := Redact(Sanitize(clean), ph); got != Sanitize(clean) || kinds != nil {
			t.Errorf("Redact(%q) = %q %v, want unchanged", clean, got, kinds)
		}
	}
}

// Redact keeps every byte of the text around what it removes.
func TestRedactKeepsSurroundingText(t *testing.T) {
	t.Parallel()
	in := "Hi ０７７００ ９００ １２３ — and j a n e @ x . i o ok"
	got, _ := Redact(Sanitize(in), ph)
	if want := "Hi " + ph + " — and " + ph + " ok"; got != want {
		t.Fatalf("Redact(%q) = %q, want %q", in, got, want)
	}
}

// digitScripts are Unicode decimal digit blocks (category Nd, each a run
// from ZERO to NINE, Unicode 15 UnicodeData.txt) a member could type.
var digitScripts = []rune{'0', 0x0660, 0x06F0, 0x0966, 0x09E6, 0xFF10, 0x1D7CE, 0x0E50}

// trickText writes a contact detail with one or more of the known tricks.
type contact struct {
	text string   // as written by the member
	core []string // normalized parts that must not survive
}

var spelled = []struct{ at, dot string }{
	{" at ", " dot "}, {" arroba ", " punto "}, {" arobase ", " point "}, {" ät ", " punkt "},
	{" arroba ", " ponto "}, {" آت ", " دوت "}, {"艾特", "点"}, {" (at) ", " (dot) "}, {" [at] ", " [dot] "}, {"@", "."},
}

func randWord(r *rand.Rand, min, max int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	n := min + r.IntN(max-min+1)
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

func digitsIn(s string, zero rune) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			r = zero + (r - '0')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func fullwidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 0x20 && r < 0x7F {
			r += 0xFF01 - 0x21 // U+FF01–FF5E FULLWIDTH forms of ASCII 0x21–0x7E
		}
		b.WriteRune(r)
	}
	return b.String()
}

func spaceOut(s string) string {
	return strings.Join(strings.Split(s, ""), " ")
}

func makeContact(r *rand.Rand) contact {
	switch r.IntN(4) {
	case 0: // e-mail
		local, dom := randWord(r, 4, 10)+string(rune('0'+r.IntN(10))), randWord(r, 4, 9)
		tld := randWord(r, 2, 6)
		if r.IntN(3) == 0 {
			sp := spelled[r.IntN(len(spelled))]
			return contact{local + sp.at + dom + sp.dot + tld, []string{local, dom}}
		}
		text := local + "@" + dom + "." + tld
		switch r.IntN(3) {
		case 0:
			text = fullwidth(text)
		case 1:
			text = spaceOut(text)
		}
		return contact{text, []string{local, dom}}
	case 1: // phone
		digits := make([]byte, 10+r.IntN(3))
		for i := range digits {
			digits[i] = byte('0' + r.IntN(10))
		}
		num := string(digits)
		text := num
		if r.IntN(2) == 0 {
			text = num[:3] + " " + num[3:6] + "-" + num[6:]
		}
		if r.IntN(4) == 0 {
			text = spaceOut(text)
		}
		text = digitsIn(text, digitScripts[r.IntN(len(digitScripts))])
		return contact{text, []string{num[2:9]}}
	case 2: // bare domain, any TLD
		dom := randWord(r, 4, 10)
		text := dom + "." + randWord(r, 2, 12)
		if r.IntN(3) == 0 {
			text = dom + " dot " + []string{"com", "dev", "io", "org"}[r.IntN(4)]
		}
		return contact{text, []string{dom}}
	default: // handle after a platform name
		h := randWord(r, 3, 8) + "_" + randWord(r, 2, 5) + string(rune('0'+r.IntN(10)))
		p := []string{"insta: ", "instagram: ", "snap: @", "tiktok @", "my telegram is ", "discord = ", "微信：", "انستا: "}[r.IntN(8)]
		return contact{p + h, []string{h}}
	}
}

var fillers = []string{"hi, ", "ok ", "", "please ", "مرحبا ", "hola ", "你好", "— "}

// leaked reports a core part still readable in out, after the same
// normalization the redactor uses (so a leak in another script counts).
func leaked(out string, c contact) string {
	n := normalizeForPII(out).String()
	compact := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, n)
	for _, core := range c.core {
		if strings.Contains(n, core) || strings.Contains(compact, core) {
			return core
		}
	}
	return ""
}

// TestRedactProperty: no contact detail survives any listed trick or any
// combination of them, wherever it sits in a message.
func TestRedactProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(17, 2))
	for i := 0; i < 3000; i++ {
		c := makeContact(r)
		msg := fillers[r.IntN(len(fillers))] + c.text + []string{"", " thanks", " ok?", "!", " شكرا"}[r.IntN(5)]
		out, kinds := Redact(Sanitize(msg), ph)
		if l := leaked(out, c); l != "" || kinds == nil {
			t.Fatalf("Redact(%q) = %q %v: %q survived", msg, out, kinds, l)
		}
		if again, k := Redact(out, ph); again != out || k != nil {
			t.Fatalf("not idempotent: %q → %q (%v)", out, again, k)
		}
	}
}

// FuzzRedactTricks lets the fuzzer pick the detail and the tricks.
func FuzzRedactTricks(f *testing.F) {
	f.Add(uint64(1), uint64(2), "hello ")
	f.Add(uint64(99), uint64(7), "مرحبا ")
	f.Fuzz(func(t *testing.T, a, b uint64, prefix string) {
		r := rand.New(rand.NewPCG(a, b))
		c := makeContact(r)
		prefix = Sanitize(prefix)
		if prefix != "" && !strings.HasSuffix(prefix, " ") {
			prefix += " "
		}
		msg := prefix + c.text
		out, _ := Redact(Sanitize(msg), ph)
		if strings.Contains(prefix, c.core[0]) {
			return // the fuzzer wrote the detail into the prefix itself
		}
		if l := leaked(strings.TrimPrefix(out, prefix), c); l != "" {
			t.Fatalf("Redact(%q) = %q: %q survived", msg, out, l)
		}
	})
}
