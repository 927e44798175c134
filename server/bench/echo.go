package bench

import (
	"context"
	"fmt"

	"github.com/pion/webrtc/v4"
)

// Echo is a bare pion↔pion data-channel pair in this process: one side sends,
// the other sends every message straight back. Its round trip crosses the
// loopback twice, as a relayed command does (therapist → server → patient),
// with no server logic in between: the floor the relay is compared to.
type Echo struct {
	a, b  *webrtc.PeerConnection
	dc    *webrtc.DataChannel
	pacer *pacer
}

// NewEcho connects the pair with the given API (use the same settings as
// the load's client peers, e.g. rtc.NewClientAPI(), so only the server's
// work separates the two figures) and waits for the channel to open.
func NewEcho(ctx context.Context, api *webrtc.API, rec *Recorder) (*Echo, error) {
	a, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("bench: echo peer: %w", err)
	}
	b, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		_ = a.Close()
		return nil, fmt.Errorf("bench: echo peer: %w", err)
	}
	e := &Echo{a: a, b: b, pacer: newPacer(rec)}
	if err := e.connect(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Echo) connect(ctx context.Context) error {
	opened := make(chan struct{})
	e.b.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnMessage(func(m webrtc.DataChannelMessage) { _ = dc.Send(m.Data) })
	})
	dc, err := e.a.CreateDataChannel("echo", nil)
	if err != nil {
		return fmt.Errorf("bench: echo channel: %w", err)
	}
	e.dc = dc
	dc.OnOpen(func() { close(opened) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) { e.pacer.received(m.Data) })
	offer, err := gather(ctx, e.a, true)
	if err != nil {
		return err
	}
	if err := e.b.SetRemoteDescription(offer); err != nil {
		return fmt.Errorf("bench: echo offer: %w", err)
	}
	answer, err := gather(ctx, e.b, false)
	if err != nil {
		return err
	}
	if err := e.a.SetRemoteDescription(answer); err != nil {
		return fmt.Errorf("bench: echo answer: %w", err)
	}
	select {
	case <-opened:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bench: echo channel did not open: %w", ctx.Err())
	}
}

// gather makes an offer or answer and waits for complete ICE gathering (no trickle).
func gather(ctx context.Context, pc *webrtc.PeerConnection, offer bool) (webrtc.SessionDescription, error) {
	var sd webrtc.SessionDescription
	var err error
	if offer {
		sd, err = pc.CreateOffer(nil)
	} else {
		sd, err = pc.CreateAnswer(nil)
	}
	if err != nil {
		return sd, fmt.Errorf("bench: echo negotiation: %w", err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(sd); err != nil {
		return sd, fmt.Errorf("bench: echo local description: %w", err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		return sd, ctx.Err()
	}
	return *pc.LocalDescription(), nil
}

// Run sends one message of size bytes every 1/rate seconds until ctx ends.
func (e *Echo) Run(ctx context.Context, rate float64, size int) error {
	return e.pacer.run(ctx, rate, size, e.dc.Send)
}

// Close closes both peers and waits for pion's goroutines.
func (e *Echo) Close() {
	_ = e.a.GracefulClose()
	_ = e.b.GracefulClose()
}
