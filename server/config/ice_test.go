package config

import (
	"strings"
	"testing"
)

// TestParseICEServer: the TURN credential rides in the --ice-server query
// and is taken out of the URI the browsers get (RTCIceServer keeps it in
// username and credential; a browser accepts only transport in a turn: URI,
// RFC 7065 §3.1); wrong entries are refused without repeating the secret.
func TestParseICEServer(t *testing.T) {
	t.Parallel()
	ok := []struct {
		in   string
		want ICEServer
	}{
		{"stun:stun.clinic.test:3478", ICEServer{URL: "stun:stun.clinic.test:3478"}},
		{"STUN:stun.clinic.test", ICEServer{URL: "stun:stun.clinic.test"}},
		{"turn:turn.clinic.test:3478?transport=udp&username=haven&credential=s3cret", ICEServer{URL: "turn:turn.clinic.test:3478?transport=udp", Username: "haven", Credential: "s3cret"}},
		// order free, percent-encoding decoded (a secret with & , = and %)
		{"turns:[2001:db8::1]:5349?credential=a%26b%2Cc%3Dd%25&username=h%40clinic&transport=tcp", ICEServer{URL: "turns:[2001:db8::1]:5349?transport=tcp", Username: "h@clinic", Credential: "a&b,c=d%"}},
	}
	for _, tc := range ok {
		got, err := ParseICEServer(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseICEServer(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	bad := []string{
		"turn:turn.clinic.test:3478",                             // a browser refuses TURN without a credential
		"turn:turn.clinic.test:3478?username=haven",              // half of it
		"stun:stun.clinic.test?username=haven&credential=s3cret", // STUN takes none
		"stun:stun.clinic.test?transport=udp",                    // transport is TURN's
		"turn:turn.clinic.test?transport=sctp&username=u&credential=s3cret",
		"turn:turn.clinic.test?username=u&credential=s3cret&password=x", // unknown parameter
		"turn:turn.clinic.test?username=u&credential=s3cret&credential=s3cret",
		"turn://turn.clinic.test:3478?username=u&credential=s3cret", // not a URL with an authority
		"turn:u:s3cret@turn.clinic.test:3478",                       // userinfo: not how
		"http://turn.clinic.test",
		"turn.clinic.test:3478",
		"turn:",
		"turn:t?username=u&credential=s3cret%zz",
	}
	for _, in := range bad {
		_, err := ParseICEServer(in)
		if err == nil {
			t.Errorf("ParseICEServer(%q) accepted", in)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseICEServer(%q): the error repeats the secret: %v", in, err)
		}
	}
}

// FuzzParseICEServer: any entry parses or is refused with no value; what
// parses is a URI without a credential in it, a TURN server with both parts
// of its credential and a STUN server with neither.
func FuzzParseICEServer(f *testing.F) {
	for _, s := range []string{"stun:a:3478", "turn:b:3478?transport=udp&username=u&credential=p", "turn:u:p@b", "turns:[::1]:5349?credential=%25&username=x", "turn:?", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseICEServer(in)
		if err != nil {
			if s != (ICEServer{}) {
				t.Fatalf("%q: error %v with a value %+v", in, err, s)
			}
			return
		}
		if strings.Contains(s.URL, "username") || strings.Contains(s.URL, "credential") || strings.Contains(s.URL, "@") {
			t.Fatalf("%q: the URI keeps a credential: %q", in, s.URL)
		}
		turn := strings.HasPrefix(s.URL, "turn")
		if turn != (s.Username != "" && s.Credential != "") {
			t.Fatalf("%q: %+v: TURN with both parts, STUN with none", in, s)
		}
	})
}
