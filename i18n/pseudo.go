package i18n

import (
	"strings"
	"unicode/utf8"
)

// accents maps ASCII letters to look-alikes outside ASCII, so text that
// skipped localization stands out as plain ASCII next to pseudo text.
var accents = map[rune]rune{
	'a': 'á', 'b': 'ƀ', 'c': 'ç', 'd': 'ð', 'e': 'é', 'f': 'ƒ', 'g': 'ĝ', 'h': 'ĥ', 'i': 'î',
	'j': 'ĵ', 'k': 'ķ', 'l': 'ļ', 'm': 'ɱ', 'n': 'ñ', 'o': 'ö', 'p': 'þ', 'q': 'ǫ', 'r': 'ŕ',
	's': 'š', 't': 'ţ', 'u': 'û', 'v': 'ṽ', 'w': 'ŵ', 'x': 'ẋ', 'y': 'ý', 'z': 'ž',
	'A': 'Å', 'B': 'Ɓ', 'C': 'Ç', 'D': 'Ð', 'E': 'É', 'F': 'Ƒ', 'G': 'Ĝ', 'H': 'Ĥ', 'I': 'Î',
	'J': 'Ĵ', 'K': 'Ķ', 'L': 'Ļ', 'M': 'Ṁ', 'N': 'Ñ', 'O': 'Ö', 'P': 'Þ', 'Q': 'Ǫ', 'R': 'Ŕ',
	'S': 'Š', 'T': 'Ţ', 'U': 'Û', 'V': 'Ṽ', 'W': 'Ŵ', 'X': 'Ẋ', 'Y': 'Ý', 'Z': 'Ž',
}

// pseudoGrowth is how much longer pseudo text is: German and Finnish run
// ~30–40 % longer than English, so layouts must survive it.
const pseudoGrowth = 0.35

// PseudoText renders English source text in the pseudo-locale: accented,
// about 35 % longer, bracketed; template actions {{…}} are kept verbatim so
// the result still parses and executes.
func PseudoText(src string) string {
	if src == "" {
		return ""
	}
	var b strings.Builder
	for rest := src; rest != ""; {
		i := strings.Index(rest, "{{")
		if i < 0 {
			accent(&b, rest)
			break
		}
		accent(&b, rest[:i])
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			accent(&b, rest[i:])
			break
		}
		b.WriteString(rest[i : i+j+2])
		rest = rest[i+j+2:]
	}
	pad := int(float64(utf8.RuneCountInString(src))*pseudoGrowth + 0.999)
	if pad < 1 {
		pad = 1
	}
	return "[" + b.String() + " " + strings.Repeat("·", pad-1) + "]"
}

// accent writes s with letters replaced by their look-alikes.
func accent(b *strings.Builder, s string) {
	for _, r := range s {
		if a, ok := accents[r]; ok {
			r = a
		}
		b.WriteRune(r)
	}
}

// pseudoLocale derives the pseudo-locale from the English messages.
func pseudoLocale(en map[string]entry) map[string]entry {
	out := make(map[string]entry, len(en))
	for id, e := range en {
		var t Text
		for _, f := range e.Text.present() {
			t = t.set(f, PseudoText(e.Text.Form(f)))
		}
		out[id] = entry{Description: e.Description, Text: t}
	}
	return out
}
