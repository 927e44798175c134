package groups

import (
	"crypto/rand"
	"math/big"
	"strings"
	"unicode"
)

// Pseudonyms are drawn at random from neutral nature words, so nothing about
// a member (name, device, address, time of joining) can be read back from
// them. 40×40×90 ≈ 144,000 names; collisions inside one room are retried.
var (
	pseudoAdjectives = []string{"Calm", "Gentle", "Quiet", "Brave", "Kind", "Steady", "Bright", "Warm", "Patient", "Hopeful",
		"Soft", "Clear", "Open", "Still", "Golden", "Silver", "Green", "Blue", "Misty", "Sunny",
		"Cozy", "Careful", "Curious", "Friendly", "Peaceful", "Light", "Spring", "Autumn", "Morning", "Evening",
		"Rising", "Wandering", "Resting", "Growing", "Humble", "Tender", "Lucky", "Mellow", "Rainy", "Snowy"}
	pseudoNouns = []string{"Otter", "Heron", "Maple", "Willow", "River", "Meadow", "Harbor", "Pebble", "Fern", "Sparrow",
		"Robin", "Cedar", "Lantern", "Brook", "Cloud", "Comet", "Dune", "Finch", "Grove", "Hill",
		"Iris", "Juniper", "Kestrel", "Lark", "Moss", "Oak", "Pine", "Quail", "Reed", "Sage",
		"Tide", "Valley", "Wren", "Birch", "Coral", "Daisy", "Ember", "Fox", "Lotus", "Panda"}
)

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0
	}
	return int(v.Int64())
}

// NewPseudonym returns a random friendly name such as "Calm Otter 42".
func NewPseudonym() string {
	return pseudoAdjectives[randInt(len(pseudoAdjectives))] + " " + pseudoNouns[randInt(len(pseudoNouns))] + " " +
		string(rune('1'+randInt(9))) + string(rune('0'+randInt(10)))
}

// reservedNames are words a member may not put in a chosen pseudonym, so no
// one can pass as staff; checked after folding accents and look-alike digits.
var reservedNames = []string{"moderator", "moderador", "moderateur", "mod", "admin", "administrator", "staff",
	"therapist", "terapeuta", "therapeute", "therapeut", "haven", "system", "sistema", "systeme", "official",
	"doctor", "doktor", "docteur", "mods", "helper", "مشرف", "مدير", "管理员", "版主", "治疗师", "系统"}

var leet = strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s")

// ValidPseudonym reports whether a member-chosen name is acceptable: 3–32
// letters, digits and single spaces after cleaning, and no reserved word.
func ValidPseudonym(name string) (string, bool) {
	name = strings.Join(strings.Fields(Sanitize(name)), " ")
	n := len([]rune(name))
	if n < 3 || n > 32 {
		return "", false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != ' ' && r != '-' && r != '_' {
			return "", false
		}
	}
	folded := foldForMatch(leet.Replace(strings.ToLower(name)))
	compact := strings.ReplaceAll(folded, " ", "")
	for _, w := range reservedNames {
		if strings.Contains(folded, " "+w+" ") || ((len([]rune(w)) > 3 || hasUnspacedScript(w)) && strings.Contains(compact, w)) {
			return "", false
		}
	}
	return name, true
}
