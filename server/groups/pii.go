package groups

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

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

// The redactor matches on a normalized copy of the message and removes the
// matching stretch of the original, so what others read is the sender's own
// text minus the contact detail. Normalizing first defeats the usual ways of
// slipping a detail past a filter: other scripts' digits (Arabic-Indic,
// Devanagari, …: Unicode category Nd), fullwidth forms (NFKC), spaced-out
// letters ("j a n e"), and "at"/"dot" spelled out in any shipped language.

// Spelled-out "@" and "." in the shipped languages (en, ar, es, de, fr,
// pt-BR, zh-Hans), as people write them to dodge filters.
const (
	atWords  = `at|arroba|arobase|arobas|klammeraffe|ät|آت|ات|أت|艾特`
	dotWords = `dot|punto|punkt|point|ponto|دوت|نقطة|نقطه|点|點`
	// dotOnly are spelled dots that are not also everyday words, so a bare
	// domain written with them ("mysite dot dev") is caught without turning
	// "at this point we" into a web address.
	dotOnly = `dot|دوت`
	// spelledTLDs bound the bare spelled-dot form to top-level domains that
	// are not everyday words ("a dot on my skin" is not a domain).
	spelledTLDs = `com|net|org|io|dev|app|info|xyz|site|online|ly|gg|tv|fr|br|uk|ca|au|cn|ru|eu|pt|mx|nl|ch|sa|ae|eg|ma|tn|dz|jo|lb`
	wordChars   = `[\p{L}\p{N}]`
)

var (
	reAt = `(?:\s*@\s*|\s*[(\[{<]\s*(?:` + atWords + `)\s*[)\]}>]\s*|\s+(?:` + atWords + `)\s+|\s*(?:艾特)\s*)`
	// A literal dot counts with no space around it, or with a space on
	// both sides ("gmail . com"); "at home. Then" stays a sentence.
	reDot   = `(?:\.|\s\.\s|\s*[(\[{<]\s*(?:` + dotWords + `)\s*[)\]}>]\s*|\s+(?:` + dotWords + `)\s+|\s*(?:点|點)\s*)`
	reLabel = `[\p{L}\p{N}-]+`
)

// platforms are services whose user names people trade to meet off the
// platform: a handle after one of these names is redacted.
const platforms = `instagram|insta|ig|snapchat|snap|sc|tiktok|tik tok|twitter|facebook|fb|telegram|tg|whatsapp|wa|discord|kik|reddit|signal|threads|wechat|weixin|微信|微博|qq|line|youtube|yt|twitch|skype|linkedin|mastodon|bluesky|bsky|انستا|انستغرام|إنستغرام|انستقرام|سناب|سناب شات|تيك توك|تويتر|فيسبوك|فيس|تلغرام|تليجرام|واتساب|واتس|ديسكورد`

type piiPattern struct {
	kind PIIKind
	re   *regexp.Regexp
	// may, when set, is a linear-time check that the text could hold a
	// match at all. The large alternations make a regexp pass cost
	// milliseconds on a long message; most messages fail the check.
	may func(string) bool
}

// piiPatterns run in order on the normalized text; a match is taken out
// before the next pattern runs (an e-mail's domain is not also a URL).
var piiPatterns = []piiPattern{
	{PIIEmail, regexp.MustCompile(`(?i)[\p{L}\p{N}._%+-]+` + reAt + reLabel + `(?:` + reDot + reLabel + `)+`), mayBeEmail},
	{PIIURL, regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"]+`), nil},
	// A handle after a platform name: "insta: jane_doe_1990", "snap @jo",
	// "my telegram is jane.doe.90" (after a bare "is", only a token that
	// looks like a handle, so "instagram is toxic" stays).
	{PIIHandle, regexp.MustCompile(`(?i)(?:^|[^a-z0-9])(?:` + platforms + `)\s*(?:[:=@]|-+>?|→)\s*@?[\p{L}\p{N}_.]{2,}`), nil},
	{PIIHandle, regexp.MustCompile(`(?i)(?:^|[^a-z0-9])(?:` + platforms + `)\s+(?:(?:is|es|ist|est|é|è|هو|是|id|handle|user|name)\s+)?@?[\p{L}\p{N}]*[_.\d][\p{L}\p{N}_.]*`), nil},
	{PIIHandle, regexp.MustCompile(`(?:^|[\s(:])@[\p{L}\p{N}_.]{3,}`), nil},
	// Any top-level domain: labels, a dot, then 2–24 letters (IANA TLDs
	// are letters only), optionally a path.
	{PIIURL, regexp.MustCompile(`(?i)(?:` + reLabel + `\.)+\p{L}{2,24}(?:/[^\s]*)?`), hasInnerDot},
	{PIIURL, regexp.MustCompile(`(?i)` + reLabel + `(?:\s*[(\[{<]\s*(?:` + dotWords + `)\s*[)\]}>]\s*|\s+(?:` + dotOnly + `)\s+)(?:` + spelledTLDs + `)\b(?:/[^\s]*)?`), nil},
	// Street addresses: "12 Oak Street", "Calle Mayor 5", "5 rue de la Paix",
	// "Hauptstraße 12", "شارع ...", "中山路12号".
	{PIIAddress, regexp.MustCompile(`(?i)\b\d{1,5}[a-z]?,?\s+(?:[\p{L}'.-]+\s+){0,3}(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|terrace|crescent|close)\b\.?`), nil},
	{PIIAddress, regexp.MustCompile(`(?i)\b(?:\d{1,5},?\s+)?(?:calle|c/|avenida|av\.|rue|boulevard|bd|chemin|allée|rua|travessa|alameda|paseo|plaza|praça|via)\s+(?:[\p{L}'.-]+\s+){0,4}\d{1,5}\b`), nil},
	{PIIAddress, regexp.MustCompile(`(?i)\b\d{1,5},?\s+(?:rue|avenue|boulevard|chemin|allée|impasse)\s+(?:[\p{L}'-]+\s*){1,4}`), nil},
	{PIIAddress, regexp.MustCompile(`(?i)[\p{L}-]+(?:straße|strasse|str\.|weg|platz|gasse|allee|ring|damm)\s+\d{1,5}[a-z]?\b`), nil},
	{PIIAddress, regexp.MustCompile(`شارع\s+[\p{Arabic}\p{N}]+(?:\s+[\p{Arabic}\p{N}]+)?(?:\s+\d{1,5})?`), nil},
	{PIIAddress, regexp.MustCompile(`[\p{Han}]{1,12}(?:路|街|大道|巷|弄)\d{1,5}号?`), nil},
	// Phone numbers: seven or more digits with the usual separators (E.164
	// allows up to 15 digits; national forms start at seven).
	{PIIPhone, regexp.MustCompile(`(?:\+|\b00)?\(?\d(?:[\s().\-/]{0,2}\d){6,}\b`), nil},
}

var (
	atWordSet  = wordSet(atWords)
	dotWordSet = wordSet(dotWords)
)

func wordSet(alternation string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Split(alternation, "|") {
		set[w] = true
	}
	return set
}

// mayBeEmail reports whether text has both an "@" form and a "." form of
// reAt and reDot (normalized text is lower case).
func mayBeEmail(text string) bool {
	at := strings.ContainsAny(text, "@") || strings.Contains(text, "艾特")
	dot := strings.ContainsAny(text, ".点點")
	if at && dot {
		return true
	}
	for _, f := range strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("()[]{}<>", r)
	}) {
		at = at || atWordSet[f]
		dot = dot || dotWordSet[f]
		if at && dot {
			return true
		}
	}
	return false
}

// hasInnerDot reports whether a "." stands between two non-space runes, as
// in every domain; the end of a sentence has a space or nothing after it.
func hasInnerDot(text string) bool {
	for i := strings.IndexByte(text, '.'); i >= 0; {
		if i > 0 && i+1 < len(text) && text[i-1] != ' ' && text[i+1] != ' ' {
			r, _ := utf8.DecodeRuneInString(text[i+1:])
			if !unicode.IsSpace(r) {
				return true
			}
		}
		j := strings.IndexByte(text[i+1:], '.')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// redactMark stands for a removed stretch inside the normalized text.
// Sanitize strips U+FFFC from input, so it is unambiguous here.
const redactMark = '\uFFFC'

// ntext is normalized text that remembers, for each of its runes, the byte
// range of the original it came from.
type ntext struct {
	r   []rune
	src [][2]int
}

func (n *ntext) String() string { return string(n.r) }

// normalizeForPII folds s rune by rune: NFKC (fullwidth and other
// compatibility forms), every decimal digit to ASCII, lower case, and the
// ideographic full stop to ".". Then spaced-out letters are joined.
func normalizeForPII(s string) *ntext {
	n := &ntext{r: make([]rune, 0, len(s)), src: make([][2]int, 0, len(s))}
	var buf [utf8.UTFMax]byte
	for i, r := range s {
		span := [2]int{i, i + utf8.RuneLen(r)}
		forms := []rune{r}
		if r >= 0x80 {
			// most runes are already NFKC: only the others are rewritten,
			// so a long message costs no allocation per rune
			if k := utf8.EncodeRune(buf[:], r); !norm.NFKC.IsNormal(buf[:k]) {
				forms = []rune(norm.NFKC.String(string(buf[:k])))
			}
		}
		for _, q := range forms {
			if d, ok := digitValue(q); ok {
				q = '0' + d
			}
			switch q {
			case '。', '｡':
				q = '.'
			}
			n.r = append(n.r, unicode.ToLower(q))
			n.src = append(n.src, span)
		}
	}
	joinSpacedOut(n)
	return n
}

// digitValue returns the value of a decimal digit in any script. Unicode
// encodes every Nd digit in a contiguous run from 0 to 9 (Unicode §4.6,
// "Numeric Value"), and the Nd table's ranges begin at a zero, so the
// value is the offset within the range modulo ten.
func digitValue(r rune) (rune, bool) {
	if r < 0x80 {
		if r >= '0' && r <= '9' {
			return r - '0', true
		}
		return 0, false
	}
	if !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return (r - rune(rg.Lo)) % 10, true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return (r - rune(rg.Lo)) % 10, true
		}
	}
	return 0, false
}

// joinSpacedOut removes single spaces inside runs of four or more
// one-character tokens ("j a n e @ g m a i l . c o m"); ordinary prose
// almost never has four single letters in a row. The removed space's bytes
// go to the rune before it, so the original text is kept whole.
func joinSpacedOut(n *ntext) {
	single := func(i int) bool { // n.r[i] is a one-rune token
		return i >= 0 && i < len(n.r) && !unicode.IsSpace(n.r[i]) &&
			(i == 0 || unicode.IsSpace(n.r[i-1])) && (i+1 == len(n.r) || unicode.IsSpace(n.r[i+1]))
	}
	drop := make([]bool, len(n.r))
	for i := 0; i < len(n.r); {
		if !single(i) {
			i++
			continue
		}
		j, count := i, 1
		for j+2 < len(n.r) && n.r[j+1] == ' ' && single(j+2) {
			j += 2
			count++
		}
		if count >= 4 {
			for k := i + 1; k < j; k += 2 {
				drop[k] = true
			}
		}
		i = j + 1
	}
	w := 0
	for i := range n.r {
		if drop[i] {
			n.src[w-1][1] = n.src[i][1]
			continue
		}
		n.r[w], n.src[w] = n.r[i], n.src[i]
		w++
	}
	n.r, n.src = n.r[:w], n.src[:w]
}

// cut replaces runes [from, to) with one mark covering their original bytes.
func (n *ntext) cut(from, to int) {
	span := [2]int{n.src[from][0], n.src[to-1][1]}
	n.r = append(n.r[:from+1], n.r[to:]...)
	n.src = append(n.src[:from+1], n.src[to:]...)
	n.r[from], n.src[from] = redactMark, span
}

// Redact replaces phone numbers, e-mail addresses, URLs, social handles and
// street addresses in s with placeholder and reports which kinds it found.
// s must already be sanitized. Text it does not redact is returned byte for
// byte. The placeholder must not itself match a pattern (the shipped
// translations contain no digits, @ or dots): redaction is then idempotent,
// which the fuzz target checks.
func Redact(s, placeholder string) (string, []PIIKind) {
	// Every pattern needs a letter, a digit or one of "@._" (after
	// normalization, which maps every script's digits and letters to
	// letters and digits); text with none of them, such as a run of
	// emoji, is returned without the regexp passes.
	if strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '@' || r == '.' || r == '_' || r > unicode.MaxLatin1 && !unicode.IsSymbol(r) && !unicode.IsSpace(r) && !unicode.IsPunct(r)
	}) < 0 {
		return s, nil
	}
	n := normalizeForPII(s)
	var kinds []PIIKind
	for _, p := range piiPatterns {
		text := n.String()
		if p.may != nil && !p.may(text) {
			continue
		}
		locs := p.re.FindAllStringIndex(text, -1)
		if len(locs) == 0 {
			continue
		}
		// Byte offsets in text → rune indices in n.
		runeAt := make(map[int]int, len(n.r)+1)
		i := 0
		for b := range text {
			runeAt[b] = i
			i++
		}
		runeAt[len(text)] = i
		for k := len(locs) - 1; k >= 0; k-- { // from the end, so earlier indices hold
			from, to := runeAt[locs[k][0]], runeAt[locs[k][1]]
			// The handle patterns may take the separator before the name:
			// keep it.
			for from < to && !isContactRune(n.r[from]) {
				from++
			}
			if from < to {
				n.cut(from, to)
			}
		}
		kinds = appendKind(kinds, p.kind)
	}
	if len(kinds) == 0 {
		return s, nil
	}
	var spans [][2]int
	for i, r := range n.r {
		if r == redactMark {
			spans = append(spans, n.src[i])
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		if sp[0] < last { // NFKC expansions share a span
			sp[0] = last
		}
		if sp[1] <= last {
			continue
		}
		b.WriteString(s[last:sp[0]])
		b.WriteString(placeholder)
		last = sp[1]
	}
	b.WriteString(s[last:])
	return b.String(), kinds
}

// isContactRune reports runes a contact detail may start with; a match
// that starts on a space or bracket begins its cut after them.
func isContactRune(r rune) bool {
	return r != ' ' && r != '(' && r != '\n' && r != ':' && !unicode.IsSpace(r) && !(unicode.IsPunct(r) && r != '@' && r != '+')
}

func appendKind(ks []PIIKind, k PIIKind) []PIIKind {
	for _, x := range ks {
		if x == k {
			return ks
		}
	}
	return append(ks, k)
}
