package scenario

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/fleet"
	"github.com/havenvr/haven/server/simpeer"
)

// VoiceOptions configure `haven bench voice`.
type VoiceOptions struct {
	Pairs         int
	Duration      time.Duration
	Parallel      int
	Progress      io.Writer
	ProgressEvery time.Duration
	Logger        *slog.Logger
}

// RelayFigures are a Live run's data-channel figures, for comparison.
type RelayFigures struct {
	CommandsRelayed int     `json:"commands_relayed"`
	RelayP50us      float64 `json:"relay_p50_us"`
	RelayP99us      float64 `json:"relay_p99_us"`
	SamplesLost     int64   `json:"samples_lost"`
	CPUCores        float64 `json:"cpu_cores"`
	RSSMB           float64 `json:"rss_mb"`
	LoadAvg1        float64 `json:"load_avg_1m"`
}

// VoiceResult is `haven bench voice --json`.
type VoiceResult struct {
	Pairs     int     `json:"pairs"`
	DurationS float64 `json:"duration_s"`
	// Packets every side sent, heard at the other end, and the difference.
	PacketsSent  int64 `json:"packets_sent"`
	PacketsHeard int64 `json:"packets_heard"`
	PacketsLost  int64 `json:"packets_lost"`
	// Forwarded packets and the server's forwarding time: from its read of
	// the packet (SRTP decrypted) returning to its last write (encrypted and
	// sent to the receiver's socket) returning.
	Forwarded    int     `json:"forwarded"`
	ForwardP50us float64 `json:"forward_p50_us"`
	ForwardP90us float64 `json:"forward_p90_us"`
	ForwardP99us float64 `json:"forward_p99_us"`
	ForwardMaxUs float64 `json:"forward_max_us"`
	// Mouth to ear between the Go peers, less the codec: a packet's write at
	// the sending peer to its read at the receiving one (both peers' SRTP,
	// loopback UDP twice and the server's whole path). It bounds the server's
	// span from above.
	OneWayP50us float64 `json:"one_way_p50_us"`
	OneWayP99us float64 `json:"one_way_p99_us"`
	// The whole process (server and every client peer) during the voice run.
	CPUCores float64 `json:"cpu_cores"`
	RSSMB    float64 `json:"rss_mb"`
	LoadAvg1 float64 `json:"load_avg_1m"`
	// The same sessions' data-channel figures (haven bench live) in this
	// run, first without voice and then while it flows.
	DataChannels struct {
		WithoutVoice RelayFigures `json:"without_voice"`
		WithVoice    RelayFigures `json:"with_voice"`
	} `json:"data_channels"`
	Errors []string `json:"errors,omitempty"`
}

// frameBytes is a 20 ms Opus frame of speech at 32 kbit/s (RFC 7587's
// 6–510 kbit/s range; WebRTC voice runs at about 32).
const frameBytes = 80

// Voice runs `haven bench voice`: the live-session benchmark twice on fresh
// in-process servers, N therapist/patient pairs each, first with data
// channels only and then with both sides of every pair also sending a
// 20 ms voice packet every 20 ms through the server (added by
// renegotiation, as the clients do).
func Voice(ctx context.Context, o VoiceOptions) (VoiceResult, error) {
	res := VoiceResult{Pairs: o.Pairs}
	lo := LiveOptions{Sessions: o.Pairs, Duration: o.Duration, Parallel: o.Parallel, Progress: o.Progress,
		ProgressEvery: o.ProgressEvery, Logger: o.Logger}
	progress := func(f string, a ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, f+"\n", a...)
		}
	}
	progress("bench voice: data channels only (load average %.2f)", bench.LoadAvg())
	plain, err := Live(ctx, lo)
	if err != nil {
		return res, fmt.Errorf("scenario: without voice: %w", err)
	}
	res.DataChannels.WithoutVoice = relayFigures(plain)
	res.Errors = append(res.Errors, plain.Errors...)

	progress("bench voice: with two-way voice (load average %.2f)", bench.LoadAvg())
	v := &VoiceLoad{}
	lo.Voice = v
	withVoice, err := Live(ctx, lo)
	if err != nil {
		return res, fmt.Errorf("scenario: with voice: %w", err)
	}
	res.DataChannels.WithVoice = relayFigures(withVoice)
	res.Errors = append(res.Errors, withVoice.Errors...)
	res.DurationS, res.CPUCores, res.RSSMB, res.LoadAvg1 = withVoice.DurationS, withVoice.CPUCores, withVoice.RSSMB, withVoice.LoadAvg1
	res.PacketsSent, res.PacketsHeard = v.sent.Load(), v.heard.Load()
	res.PacketsLost = res.PacketsSent - res.PacketsHeard
	s := v.fwd.Summary()
	res.Forwarded, res.ForwardP50us, res.ForwardP90us, res.ForwardP99us, res.ForwardMaxUs = s.Count, s.P50, s.P90, s.P99, s.Max
	w := v.oneWay.Summary()
	res.OneWayP50us, res.OneWayP99us = w.P50, w.P99
	return res, nil
}

func relayFigures(r LiveResult) RelayFigures {
	return RelayFigures{CommandsRelayed: r.CommandsRelayed, RelayP50us: r.RelayP50us, RelayP99us: r.RelayP99us,
		SamplesLost: r.SamplesLost, CPUCores: r.CPUCores, RSSMB: r.RSSMB, LoadAvg1: r.LoadAvg1}
}

// VoiceLoad adds two-way voice to every pair of a Live run.
type VoiceLoad struct {
	fwd, oneWay bench.Recorder
	sent, heard atomic.Int64
	voices      []*simpeer.Voice
}

// observe records the server's forwarding time of every voice packet.
func (v *VoiceLoad) observe(srv *inProcess) {
	srv.App.Live.ObserveVoice(func(in, out time.Time, _ int) { v.fwd.Add(out.Sub(in)) })
}

// attach renegotiates every pair's two connections to carry voice.
func (v *VoiceLoad) attach(ctx context.Context, pairs []pair, parallel int) error {
	voices := make([]*simpeer.Voice, 2*len(pairs))
	heard := func(_ string, p *rtp.Packet, at time.Time) {
		v.heard.Add(1)
		if len(p.Payload) >= 8 {
			v.oneWay.Add(at.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(p.Payload)))))
		}
	}
	var mu sync.Mutex
	err := fleet.Parallel(ctx, len(pairs), parallel, nil, func(ctx context.Context, i int) error {
		pv, err := simpeer.AddVoice(ctx, pairs[i].p.Peer(), simpeer.VoiceOptions{Signal: pairs[i].p.Signal(), Mic: true, Keep: 1, OnPacket: heard})
		if err != nil {
			return fmt.Errorf("patient %d: %w", i, err)
		}
		tv, err := simpeer.AddVoice(ctx, pairs[i].t.Peer(), simpeer.VoiceOptions{Signal: pairs[i].t.Signal(), Mic: true, Keep: 1, OnPacket: heard})
		if err != nil {
			return fmt.Errorf("therapist %d: %w", i, err)
		}
		mu.Lock()
		voices[2*i], voices[2*i+1] = pv, tv
		mu.Unlock()
		return nil
	})
	v.voices = voices
	return err
}

// run sends one frame from every side every 20 ms until ctx ends, then
// waits (up to 2 s) for the last frames to be heard.
func (v *VoiceLoad) run(ctx context.Context) {
	payload := make([]byte, frameBytes)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			for end := time.Now().Add(2 * time.Second); v.heard.Load() < v.sent.Load() && time.Now().Before(end); {
				time.Sleep(20 * time.Millisecond)
			}
			return
		case <-tick.C:
		}
		for _, vc := range v.voices {
			binary.BigEndian.PutUint64(payload, uint64(time.Now().UnixNano())) // the send time, for the one-way delay
			if vc != nil && vc.Say(payload) == nil {
				v.sent.Add(1)
			}
		}
	}
}
