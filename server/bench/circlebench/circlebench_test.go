package circlebench

import (
	"context"
	"testing"
	"time"

	"github.com/havenvr/haven/server/groups"
)

// TestRunFiveSpeakersReachThree: with five of six members speaking at
// once, no listener ever receives more than three voices (the issue's
// bound, groups.MaxSpeakers) and nothing the server wrote is lost on
// loopback.
func TestRunFiveSpeakersReachThree(t *testing.T) {
	res, err := Run(context.Background(), Options{Members: 6, Speakers: 5, Duration: 2 * time.Second, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.StreamsPerListener != groups.MaxSpeakers {
		t.Errorf("streams per listener = %d, want %d (five speaking, three forwarded)", res.StreamsPerListener, groups.MaxSpeakers)
	}
	if res.PacketsLost != 0 {
		t.Errorf("%d packets lost on loopback", res.PacketsLost)
	}
	// three of five speakers forwarded to the five others (or four, for a
	// speaker's own slot): well under the 5 × 5 a full mesh would write
	if perSent := float64(res.PacketsForwarded) / float64(res.PacketsSent); perSent > 3.2 {
		t.Errorf("%.2f writes per packet sent: more than three voices' worth", perSent)
	}
	if res.ForwardP50us <= 0 || res.BytesPerMemberPerS <= 0 || res.PosesPerMemberPerS <= 0 {
		t.Errorf("no forwarding measured: %+v", res)
	}
}
