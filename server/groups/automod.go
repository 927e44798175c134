package groups

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxTextRunes bounds one chat message after cleaning.
const MaxTextRunes = 1000

// Sanitize makes outside text safe to show to others: invalid UTF-8 is
// dropped, control characters (C0 except newline, C1) and the Unicode bidi
// embedding, override and isolate controls are removed, because they can
// reorder what readers see and spoof a name or a moderator's words
// (Unicode TR #9 §2; CVE-2021-42574 "Trojan Source"). Zero-width joiners
// stay: emoji and Persian/Indic scripts need them. Runs of blank lines are
// collapsed and the result is trimmed and NFC-normalized.
func Sanitize(s string) string {
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	b.Grow(len(s))
	newlines := 0
	for _, r := range s {
		switch {
		case r == '\r':
			continue
		case r == '\n':
			newlines++
			if newlines > 2 {
				continue
			}
			b.WriteRune(r)
			continue
		case r == '\t':
			r = ' '
		case unicode.IsControl(r), isBidiControl(r), isInvisible(r):
			continue
		}
		newlines = 0
		b.WriteRune(r)
	}
	return strings.TrimSpace(norm.NFC.String(b.String()))
}

// isBidiControl reports the explicit directional formatting characters of
// Unicode TR #9 §2.1–2.6 and the marks (LRM, RLM, ALM).
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// isInvisible reports characters that draw nothing and only serve to hide
// text from filters: zero-width space, word joiner, BOM, tag characters, and
// the object replacement character the redactor uses internally.
func isInvisible(r rune) bool {
	return r == 0x200B || r == 0x2060 || r == 0xFEFF || r == 0x00AD || r == 0xFFFC || (r >= 0xE0000 && r <= 0xE007F)
}

// PIIKind names what the redactor removed, for the sender's notice.
type PIIKind string

// Kinds of personal information removed before fan-out.
const (
	PIIEmail   PIIKind = "email"
	PIIURL     PIIKind = "url"
	PIIPhone   PIIKind = "phone"
	PIIAddress PIIKind = "address"
	PIIHandle  PIIKind = "handle"
)

type piiPattern struct {
	kind PIIKind
	re   *regexp.Regexp
}

// piiPatterns run in order; earlier ones win (an e-mail's domain is not also a URL).
var piiPatterns = []piiPattern{
	{PIIEmail, regexp.MustCompile(`[\p{L}\p{N}._%+-]+\s*(?:@|\(at\)|\[at\])\s*[\p{L}\p{N}-]+(?:\s*(?:\.|\(dot\)|\[dot\])\s*[\p{L}\p{N}-]+)+`)},
	{PIIURL, regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"]+`)},
	{PIIURL, regexp.MustCompile(`(?i)\b[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.(?:com|org|net|io|me|info|app|co|ly|gg|tv|xyz|link|site|online|de|fr|es|br|uk|us|ca|au|mx|ar|pt|cn|ru|eu|ch|at|be|nl|it)\b(?:/[^\s]*)?`)},
	{PIIHandle, regexp.MustCompile(`(?:^|[\s(])@[\p{L}\p{N}_.]{3,}`)},
	// Street addresses: "12 Oak Street", "Calle Mayor 5", "5 rue de la Paix",
	// "Hauptstraße 12", "شارع ...", "中山路12号".
	{PIIAddress, regexp.MustCompile(`(?i)\b\d{1,5}[a-z]?,?\s+(?:[\p{L}'.-]+\s+){0,3}(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|terrace|crescent|close)\b\.?`)},
	{PIIAddress, regexp.MustCompile(`(?i)\b(?:\d{1,5},?\s+)?(?:calle|c/|avenida|av\.|rue|boulevard|bd|chemin|allée|rua|travessa|alameda|paseo|plaza|praça|via)\s+(?:[\p{L}'.-]+\s+){0,4}\d{1,5}\b`)},
	{PIIAddress, regexp.MustCompile(`(?i)\b\d{1,5},?\s+(?:rue|avenue|boulevard|chemin|allée|impasse)\s+(?:[\p{L}'-]+\s*){1,4}`)},
	{PIIAddress, regexp.MustCompile(`(?i)[\p{L}-]+(?:straße|strasse|str\.|weg|platz|gasse|allee|ring|damm)\s+\d{1,5}[a-z]?\b`)},
	{PIIAddress, regexp.MustCompile(`شارع\s+[\p{Arabic}\p{N}]+(?:\s+[\p{Arabic}\p{N}]+)?(?:\s+\d{1,5})?`)},
	{PIIAddress, regexp.MustCompile(`[\p{Han}]{1,12}(?:路|街|大道|巷|弄)[\d０-９]{1,5}号?`)},
	// Phone numbers: seven or more digits with the usual separators (E.164
	// allows up to 15 digits; national forms start at seven).
	{PIIPhone, regexp.MustCompile(`(?:\+|\b00)?\(?\d(?:[\s().\-/]{0,2}\d){6,}\b`)},
}

// Redact replaces phone numbers, e-mail addresses, URLs, social handles and
// street addresses in s with placeholder and reports which kinds it found.
// s must already be sanitized. The placeholder must not itself match a
// pattern (the shipped translations contain no digits, @ or dots): redaction
// is then idempotent, which the fuzz target checks.
func Redact(s, placeholder string) (string, []PIIKind) {
	var kinds []PIIKind
	const mark = "\uFFFC" // Sanitize strips it from input, so it is unambiguous here
	for _, p := range piiPatterns {
		if !p.re.MatchString(s) {
			continue
		}
		s = p.re.ReplaceAllStringFunc(s, func(m string) string {
			// Keep the separator the handle pattern consumed before the @.
			if p.kind == PIIHandle && m != "" && m[0] != '@' {
				_, size := utf8.DecodeRuneInString(m)
				return m[:size] + mark
			}
			return mark
		})
		kinds = appendKind(kinds, p.kind)
	}
	if len(kinds) == 0 {
		return s, nil
	}
	return strings.ReplaceAll(s, mark, placeholder), kinds
}

func appendKind(ks []PIIKind, k PIIKind) []PIIKind {
	for _, x := range ks {
		if x == k {
			return ks
		}
	}
	return append(ks, k)
}

// foldForMatch lowers case and strips combining marks (accents, Arabic
// harakat and hamza seats) and punctuation, so "Suicídio", "suicidio" and
// "SUICIDIO!" match one listed phrase. Words are separated by single spaces
// and the result is padded, so " phrase " matches whole words only.
func foldForMatch(s string) string {
	d := norm.NFKD.String(s)
	var b strings.Builder
	b.Grow(len(d) + 2)
	b.WriteByte(' ')
	space := true
	for _, r := range d {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	if !space {
		b.WriteByte(' ')
	}
	return b.String()
}

// hasUnspacedScript reports text in scripts written without spaces between
// words (Han, Hiragana, Katakana, Thai), where phrases match as substrings.
func hasUnspacedScript(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai) {
			return true
		}
	}
	return false
}

// PhraseSet matches listed phrases in folded text.
type PhraseSet struct {
	padded  []string // " word word " for spaced scripts
	subster []string // bare substrings for unspaced scripts
}

// NewPhraseSet folds phrases for matching; blank ones are ignored.
func NewPhraseSet(phrases []string) *PhraseSet {
	ps := &PhraseSet{}
	for _, p := range phrases {
		f := foldForMatch(p)
		if strings.TrimSpace(f) == "" {
			continue
		}
		if hasUnspacedScript(p) {
			ps.subster = append(ps.subster, strings.ReplaceAll(f, " ", ""))
		} else {
			ps.padded = append(ps.padded, f)
		}
	}
	return ps
}

// Match returns the first listed phrase found in folded text, or "".
func (ps *PhraseSet) Match(folded string) string {
	for _, p := range ps.padded {
		if strings.Contains(folded, p) {
			return strings.TrimSpace(p)
		}
	}
	if len(ps.subster) > 0 {
		compact := strings.ReplaceAll(folded, " ", "")
		for _, p := range ps.subster {
			if strings.Contains(compact, p) {
				return p
			}
		}
	}
	return ""
}

// Len is the number of phrases in the set.
func (ps *PhraseSet) Len() int { return len(ps.padded) + len(ps.subster) }
