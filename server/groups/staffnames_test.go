package groups

import (
	"strings"
	"testing"
)

// TestPseudonymCannotPoseAsStaff: the names a probe used to pass as staff.
// The look-alikes are from confusables.txt (UTS #39, 13.0.0):
//
//	041C ; 004D ; MA  # ( М → M ) CYRILLIC CAPITAL LETTER EM → LATIN CAPITAL LETTER M
//	0391 ; 0041 ; MA  # ( Α → A ) GREEK CAPITAL LETTER ALPHA → LATIN CAPITAL LETTER A
//	0405 ; 0053 ; MA  # ( Ѕ → S ) CYRILLIC CAPITAL LETTER DZE → LATIN CAPITAL LETTER S
//	0430 ; 0061 ; MA  # ( а → a ) CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A
//	03BF ; 006F ; MA  # ( ο → o ) GREEK SMALL LETTER OMICRON → LATIN SMALL LETTER O
func TestPseudonymCannotPoseAsStaff(t *testing.T) {
	t.Parallel()
	staff := []string{"Dana Whitfield", "Sam"}
	for _, name := range []string{
		"\u041Coderator", "\u0391dmin", "\u0405ystem", "Mod123", "Support Team", "Host", "Facilitator", "Dr Smith", "Dr. Lee",
		"Nurse", "Nurse Joy 2", "m\u043Ederator", "Adm\u0456n", "ADMIN", "ａｄｍｉｎ", "Moderator_1", "The Host", "SYS7EM",
		"Dana Whitfield", "Dana  Whitfie1d", "D\u0430na Whitfield", "DanaWhitfield 2", "Sam", "S\u0430m",
		"مشرف", "الدعم", "管理员", "Enfermera Ana", "Docteur X", "Therapeut",
	} {
		if _, ok := ValidPseudonym(name, staff...); ok {
			t.Errorf("ValidPseudonym(%q) accepted a staff look-alike", name)
		}
	}
	for _, name := range []string{"Hostile Heron", "Sammy Otter", "Calm Otter 42", "Dana", "Drizzle", "Modest Moss", "Ana-María", "سلام", "小鹿跑"} {
		if _, ok := ValidPseudonym(name, staff...); !ok {
			t.Errorf("ValidPseudonym(%q) refused an ordinary name", name)
		}
	}
}

// Every name Haven itself generates is valid (40 × 40 words, any digits).
func TestGeneratedPseudonymsAreValid(t *testing.T) {
	t.Parallel()
	for _, a := range pseudoAdjectives {
		for _, n := range pseudoNouns {
			if name := a + " " + n + " 42"; !strings.Contains(name, "\n") {
				if _, ok := ValidPseudonym(name); !ok {
					t.Errorf("generated %q is refused", name)
				}
			}
		}
	}
}

func TestStaffDisplayName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Dr. Dana O'Neil":           "Dr. Dana O'Neil",
		"Dana\u202Eetirw":           "Danaetirw",
		"Dana\nWhitfield\x00":       "Dana Whitfield",
		"<b>Dana</b>":               "bDanab",
		"\u2066\u2067":              "Moderator",
		strings.Repeat("Dana ", 10): "Dana Dana Dana Dana Dana Dana Da",
		"مريم السيد":                "مريم السيد",
	} {
		if got := StaffDisplayName(in, "Moderator"); got != want {
			t.Errorf("StaffDisplayName(%q) = %q, want %q", in, got, want)
		}
	}
}
