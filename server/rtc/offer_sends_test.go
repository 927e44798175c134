package rtc

import "testing"

// TestOfferSends reads directions as RFC 4566 §6 and RFC 3264 §5.1 define
// them: sendrecv when none is given, a port of 0 rejects the section.
func TestOfferSends(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
	for _, c := range []struct {
		name         string
		media        string
		audio, video bool
	}{
		{"data only", "", false, false},
		{"audio, no direction", "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", true, false},
		{"audio sendrecv", "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n", true, false},
		{"audio recvonly", "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n", false, false},
		{"audio inactive", "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=inactive\r\n", false, false},
		{"audio rejected", "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n", false, false},
		{"video sendonly", "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n", false, true},
		{"two listeners and a camera", "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n", false, true},
	} {
		audio, video, err := OfferSends(head + c.media)
		if err != nil || audio != c.audio || video != c.video {
			t.Errorf("%s: audio %v video %v err %v, want %v %v", c.name, audio, video, err, c.audio, c.video)
		}
	}
	if _, _, err := OfferSends("not sdp"); err == nil {
		t.Error("garbage read as an offer")
	}
}

func FuzzOfferSends(f *testing.F) {
	f.Add("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n")
	f.Add("m=video 0")
	f.Fuzz(func(t *testing.T, offer string) {
		audio, video, err := OfferSends(offer) // must not panic
		if err != nil && (audio || video) {
			t.Fatal("an unreadable offer said it sends")
		}
	})
}
