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

// ValidPseudonym reports whether a member-chosen name is acceptable: 3–32
// letters, digits, single spaces, - and _ after cleaning, and nothing that
// reads as a staff title or as one of staffNames (staffnames.go).
func ValidPseudonym(name string, staffNames ...string) (string, bool) {
	name = strings.Join(strings.Fields(Sanitize(name)), " ")
	n := len([]rune(name))
	if n < 3 || n > 32 {
		return "", false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r) && r != ' ' && r != '-' && r != '_' {
			return "", false
		}
	}
	if posesAsStaff(name, staffNames) {
		return "", false
	}
	return name, true
}
