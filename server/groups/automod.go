package groups

import (
	"strings"
	"unicode"

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
