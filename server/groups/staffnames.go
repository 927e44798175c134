package groups

import (
	"strings"
	"unicode"

	"github.com/mtibben/confusables"
	"golang.org/x/text/unicode/norm"
)

// A member must not be able to pass as staff. Names are compared by their
// confusable skeleton (Unicode Technical Standard #39, "Unicode Security
// Mechanisms", §4 Confusable Detection), so "Мoderator" with a Cyrillic
// М, "Αdmin" with a Greek Α and "Ѕystem" with a Cyrillic Ѕ read the same
// as the Latin words. The mapping is the confusables.txt data of UTS #39
// version 13.0.0 (https://www.unicode.org/Public/security/13.0.0/confusables.txt),
// as generated into github.com/mtibben/confusables by its maketables.go;
// golang.org/x/text ships no confusables data.

// staffTitles are words that name a role a member could use to pass as
// staff, in every shipped language. Short ones (five letters or fewer)
// match as whole words only ("Dr", "Host", "Mod" but not "Hostile").
var staffTitles = []string{
	"moderator", "moderators", "mod", "mods", "moderador", "moderadora", "moderateur", "moderatrice", "moderatorin",
	"admin", "admins", "administrator", "administrador", "administrateur", "administratorin",
	"system", "sistema", "systeme", "official", "oficial", "officiel", "offiziell",
	"support", "support team", "helpdesk", "staff", "equipe", "team haven", "haven",
	"host", "anfitrion", "facilitator", "facilitador", "facilitadora", "facilitateur", "facilitatrice", "moderation",
	"dr", "doctor", "doktor", "docteur", "doutor", "doutora", "doctora", "arzt", "medecin", "medico",
	"nurse", "enfermera", "enfermero", "enfermeira", "infirmiere", "infirmier", "krankenschwester", "pfleger",
	"therapist", "terapeuta", "therapeute", "therapeut", "therapeutin", "counselor", "counsellor", "psychologist",
	"helper", "ayudante", "assistant",
	"مشرف", "مشرفة", "مدير", "ادارة", "الادارة", "نظام", "النظام", "طبيب", "طبيبة", "دكتور", "ممرض", "ممرضة", "معالج", "معالجة", "الدعم", "مضيف",
	"管理员", "版主", "治疗师", "系统", "医生", "护士", "主持人", "客服", "官方",
}

// leet reads the digits and symbols people use for letters.
var leet = strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s", "|", "l")

// skeletonWords returns the words of s in skeleton form: NFKC, accents
// dropped, confusables mapped (before and after lower-casing, since
// confusables.txt maps some capitals only), non-letters as separators.
func skeletonWords(s string) []string {
	return skeletonWordsOf(s, true)
}

// skeletonWordsOf is skeletonWords; with dropDigits false, digits go
// through the confusables map too ("1" → "l", "0" → "O").
func skeletonWordsOf(s string, dropDigits bool) []string {
	s = norm.NFKC.String(s)
	if dropDigits {
		s = strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return ' '
			}
			return r
		}, s)
	}
	var variants []string
	for _, v := range []string{confusables.Skeleton(s), s} {
		v = confusables.Skeleton(strings.ToLower(v))
		variants = append(variants, v)
	}
	var words []string
	for _, v := range variants {
		var b strings.Builder
		for _, r := range norm.NFD.String(v) {
			switch {
			case unicode.Is(unicode.Mn, r):
			case unicode.IsLetter(r):
				b.WriteRune(unicode.ToLower(r))
			default:
				b.WriteByte(' ')
			}
		}
		words = append(words, strings.Join(strings.Fields(b.String()), " "))
	}
	return words
}

// skeletonForms are the ways s can be read: digits as separators
// ("Mod123" → "mod"), as their look-alike letters ("Whitfie1d"), and as
// leet letters ("M0d3rat0r").
func skeletonForms(s string) []string {
	forms := append(skeletonWords(s), skeletonWordsOf(s, false)...)
	return append(forms, skeletonWords(leet.Replace(strings.ToLower(s)))...)
}

type titleKey struct {
	skel  string
	whole bool // short: match whole words only
}

var staffTitleKeys = func() []titleKey {
	var keys []titleKey
	for _, t := range staffTitles {
		for _, w := range skeletonWords(t)[:1] {
			whole := len([]rune(strings.ReplaceAll(w, " ", ""))) <= 5 && !hasUnspacedScript(t)
			keys = append(keys, titleKey{w, whole})
		}
	}
	return keys
}()

// posesAsStaff reports whether name reads as a staff title or as one of
// staffNames (the display names of the room's clinic staff).
func posesAsStaff(name string, staffNames []string) bool {
	for _, form := range skeletonForms(name) {
		padded, compact := " "+form+" ", strings.ReplaceAll(form, " ", "")
		if compact == "" {
			continue
		}
		for _, k := range staffTitleKeys {
			if strings.Contains(padded, " "+k.skel+" ") || (!k.whole && strings.Contains(compact, strings.ReplaceAll(k.skel, " ", ""))) {
				return true
			}
		}
		for _, staff := range staffNames {
			for _, sf := range skeletonWords(staff) {
				sc := strings.ReplaceAll(sf, " ", "")
				if sc == "" {
					continue
				}
				// The same name, or a longer name built on it.
				if compact == sc || (len([]rune(sc)) >= 6 && strings.Contains(compact, sc)) {
					return true
				}
			}
		}
	}
	return false
}

// StaffDisplayName cleans a staff member's name for showing to members
// under the same character rules as a pseudonym: no bidi controls, no
// newlines or NUL, letters, digits, spaces and - _ . ' only, at most 32
// characters. fallback (the localized role) is used when nothing is left.
func StaffDisplayName(name, fallback string) string {
	var b strings.Builder
	for _, r := range strings.Join(strings.Fields(Sanitize(name)), " ") {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || strings.ContainsRune(" -_.'", r) {
			b.WriteRune(r)
		}
	}
	out := []rune(strings.Join(strings.Fields(b.String()), " "))
	if len(out) > 32 {
		out = []rune(strings.TrimSpace(string(out[:32])))
	}
	if len(out) == 0 {
		return fallback
	}
	return string(out)
}
