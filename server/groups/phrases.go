package groups

import "time"

// Phrase-list kinds a clinic can edit per locale.
const (
	KindBlock  = "block"
	KindCrisis = "crisis"
)

// defaultCrisis are built-in self-harm and suicide phrases per locale,
// written from the warning-sign language of crisis-line training material
// (e.g. 988 Lifeline "warning signs", Samaritans "signs to look out for").
// They are deliberately broad: a false positive only holds a message for a
// moderator and shows the sender where help is; a miss can cost a life.
// Clinics replace any list with their own (GroupPhraseList).
var defaultCrisis = map[string][]string{
	"en": {"kill myself", "killing myself", "end my life", "ending my life", "take my own life", "want to die", "wanna die",
		"suicide", "suicidal", "hurt myself", "harm myself", "self harm", "cut myself", "cutting myself", "no reason to live",
		"better off dead", "better off without me", "overdose", "not want to be alive", "don't want to live"},
	"es": {"suicidarme", "suicidio", "suicida", "matarme", "quitarme la vida", "quiero morir", "quiero morirme",
		"no quiero vivir", "hacerme daño", "cortarme", "autolesion", "mejor muerto", "mejor muerta", "acabar con todo"},
	"fr": {"me suicider", "suicide", "suicidaire", "me tuer", "en finir", "mettre fin a mes jours", "envie de mourir",
		"je veux mourir", "me faire du mal", "me scarifier", "automutilation", "plus envie de vivre"},
	"de": {"mich umbringen", "umbringen", "suizid", "selbstmord", "mein leben beenden", "will sterben", "sterben will",
		"nicht mehr leben", "mir etwas antun", "mir was antun", "ritzen", "selbstverletzung"},
	"pt-BR": {"me matar", "suicidio", "suicidar", "tirar minha vida", "tirar a minha vida", "quero morrer",
		"nao quero mais viver", "me machucar", "me cortar", "automutilacao", "acabar com tudo"},
	"ar":      {"انتحار", "انتحر", "اقتل نفسي", "اريد ان اموت", "انهي حياتي", "اؤذي نفسي", "ايذاء النفس", "لا اريد ان اعيش"},
	"zh-Hans": {"自杀", "想死", "不想活", "结束生命", "结束自己的生命", "伤害自己", "自残", "割腕", "轻生"},
}

// defaultBlock are built-in word filters per locale: slurs and abuse aimed at
// members. Kept short on purpose; clinics extend them for their community.
var defaultBlock = map[string][]string{
	"en":      {"kill yourself", "kys", "retard", "faggot", "nigger"},
	"es":      {"matate", "suicidate", "retrasado", "maricon"},
	"fr":      {"va te tuer", "suicide toi", "pede", "sale arabe"},
	"de":      {"bring dich um", "behindert", "schwuchtel", "spast"},
	"pt-BR":   {"se mata", "vai se matar", "retardado", "viado"},
	"ar":      {"اقتل نفسك", "انتحر يا"},
	"zh-Hans": {"去死", "弱智", "傻逼"},
}

// CrisisResource is a helpline shown privately to a member in crisis.
type CrisisResource struct {
	ID           string    `json:"id,omitempty"`
	Country      string    `json:"country"`
	Name         string    `json:"name"`
	Phone        string    `json:"phone,omitempty"`
	Text         string    `json:"text,omitempty"`
	URL          string    `json:"url,omitempty"`
	Hours        string    `json:"hours,omitempty"`
	LastVerified time.Time `json:"last_verified"`
	BuiltIn      bool      `json:"built_in,omitempty"`
	Stale        bool      `json:"stale,omitempty"` // not re-checked within RecheckDays
}

// builtinVerified is when the built-in numbers were last checked against the
// services' own web sites. Clinics must curate their own list: these are a
// floor so that a member in crisis never sees an empty panel.
var builtinVerified = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// defaultResources are a few national lines, dated; "" is the international
// directory shown when the clinic's country has no entry.
var defaultResources = []CrisisResource{
	{Country: "US", Name: "988 Suicide & Crisis Lifeline", Phone: "988", Text: "988", URL: "https://988lifeline.org", Hours: "24/7"},
	{Country: "CA", Name: "9-8-8 Suicide Crisis Helpline", Phone: "988", Text: "988", URL: "https://988.ca", Hours: "24/7"},
	{Country: "GB", Name: "Samaritans", Phone: "116 123", URL: "https://www.samaritans.org", Hours: "24/7"},
	{Country: "IE", Name: "Samaritans Ireland", Phone: "116 123", URL: "https://www.samaritans.org/ireland", Hours: "24/7"},
	{Country: "FR", Name: "3114 Numéro national de prévention du suicide", Phone: "3114", URL: "https://3114.fr", Hours: "24/7"},
	{Country: "DE", Name: "TelefonSeelsorge", Phone: "0800 111 0 111", URL: "https://www.telefonseelsorge.de", Hours: "24/7"},
	{Country: "ES", Name: "Línea 024", Phone: "024", URL: "https://www.sanidad.gob.es/linea024", Hours: "24/7"},
	{Country: "BR", Name: "CVV – Centro de Valorização da Vida", Phone: "188", URL: "https://cvv.org.br", Hours: "24/7"},
	{Country: "AU", Name: "Lifeline Australia", Phone: "13 11 14", URL: "https://www.lifeline.org.au", Hours: "24/7"},
	{Country: "", Name: "Find A Helpline (international directory)", URL: "https://findahelpline.com", Hours: "24/7"},
}

// BuiltinResources returns the dated built-in helplines.
func BuiltinResources() []CrisisResource {
	out := make([]CrisisResource, len(defaultResources))
	for i, r := range defaultResources {
		r.LastVerified, r.BuiltIn = builtinVerified, true
		out[i] = r
	}
	return out
}
