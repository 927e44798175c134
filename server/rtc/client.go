package rtc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v4"
	"github.com/pion/webrtc/v4"
)

// ClientPeer is a Go peer connected to a Haven server over WHIP-style
// signalling: simulated patients and therapists, benchmarks and tests use it.
type ClientPeer struct {
	PC       *webrtc.PeerConnection
	Channels map[string]*webrtc.DataChannel
	Location string
}

// DialOptions describe how a client peer authenticates and what it opens.
type DialOptions struct {
	// URL is the WHIP endpoint (POST the offer here).
	URL string
	// Header is added to the signalling requests (Authorization, cookies, CSRF).
	Header http.Header
	// HTTP is the client used for signalling (nil: a default with a 10 s timeout).
	HTTP *http.Client
	// Channels are the data-channel labels to open, ordered and reliable.
	Channels []string
	// Unreliable are labels to open unordered with no retransmission (pose).
	Unreliable []string
	// OnMessage, when set, is attached to every channel before it opens.
	OnMessage func(label string, msg webrtc.DataChannelMessage)
	// Config is the peer connection's configuration (ICE servers, a
	// relay-only transport policy); zero: host candidates only.
	Config webrtc.Configuration
	// Prepare, when set, runs on the new connection before its offer is
	// made: a support-circle member adds its voice transceivers there.
	Prepare func(*webrtc.PeerConnection) error
}

// ClientOption adjusts a client peer's settings before its API is built.
type ClientOption func(*webrtc.SettingEngine)

// WithNet sends the client's ICE sockets through n instead of the host's
// network: link-fault tests pass a faultnet.Net to drop or delay the
// peer's real packets.
func WithNet(n transport.Net) ClientOption {
	return func(se *webrtc.SettingEngine) { se.SetNet(n) }
}

// NewClientAPI returns a pion API for client peers on loopback.
func NewClientAPI(opts ...ClientOption) *webrtc.API {
	se := webrtc.SettingEngine{}
	se.LoggerFactory = pionLogs{slog.New(slog.DiscardHandler)}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	loopbackOnly(&se)
	se.SetICETimeouts(2*time.Second, 5*time.Second, 500*time.Millisecond)
	for _, o := range opts {
		o(&se)
	}
	return peerAPI(se)
}

// Dial connects a new peer to the server and waits until every channel is open.
func Dial(ctx context.Context, api *webrtc.API, opts DialOptions) (*ClientPeer, error) {
	pc, err := api.NewPeerConnection(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("rtc: client peer: %w", err)
	}
	cp := &ClientPeer{PC: pc, Channels: map[string]*webrtc.DataChannel{}}
	if opts.Prepare != nil {
		if err := opts.Prepare(pc); err != nil {
			_ = pc.Close()
			return nil, fmt.Errorf("rtc: preparing the client peer: %w", err)
		}
	}
	all := append(append([]string(nil), opts.Channels...), opts.Unreliable...)
	opened := make(chan string, len(all))
	unordered, noRetransmit := false, uint16(0)
	for i, label := range all {
		var init *webrtc.DataChannelInit
		if i >= len(opts.Channels) {
			init = &webrtc.DataChannelInit{Ordered: &unordered, MaxRetransmits: &noRetransmit}
		}
		dc, err := pc.CreateDataChannel(label, init)
		if err != nil {
			_ = pc.Close()
			return nil, fmt.Errorf("rtc: creating channel %s: %w", label, err)
		}
		l := label
		dc.OnOpen(func() { opened <- l })
		if opts.OnMessage != nil {
			dc.OnMessage(func(m webrtc.DataChannelMessage) { opts.OnMessage(l, m) })
		}
		cp.Channels[label] = dc
	}
	if err := cp.signal(ctx, opts, http.MethodPost, opts.URL); err != nil {
		_ = pc.Close()
		return nil, err
	}
	for range all {
		select {
		case <-opened:
		case <-ctx.Done():
			_ = pc.Close()
			return nil, fmt.Errorf("rtc: waiting for channels to open: %w", ctx.Err())
		}
	}
	return cp, nil
}

// Renegotiate sends a new offer for the connection as it stands now (after
// adding or changing a track) with PATCH to its Location and applies the
// answer; iceRestart also restarts ICE (new credentials, new checks).
func (cp *ClientPeer) Renegotiate(ctx context.Context, opts DialOptions, iceRestart bool) error {
	return cp.signalWith(ctx, opts, http.MethodPatch, cp.Location, &webrtc.OfferOptions{ICERestart: iceRestart})
}

// signal makes an offer, waits for gathering and applies the server's answer.
func (cp *ClientPeer) signal(ctx context.Context, opts DialOptions, method, target string) error {
	return cp.signalWith(ctx, opts, method, target, nil)
}

func (cp *ClientPeer) signalWith(ctx context.Context, opts DialOptions, method, target string, oo *webrtc.OfferOptions) error {
	offer, err := cp.PC.CreateOffer(oo)
	if err != nil {
		return fmt.Errorf("rtc: creating offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(cp.PC)
	if err := cp.PC.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("rtc: setting offer: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return ctx.Err()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader([]byte(cp.PC.LocalDescription().SDP)))
	if err != nil {
		return err
	}
	for k, v := range opts.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/sdp")
	hc := opts.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("rtc: signalling: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return &SignalError{Status: resp.StatusCode, Body: string(body)}
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		base, _ := url.Parse(target)
		if u, err := base.Parse(loc); err == nil {
			cp.Location = u.String()
		}
	}
	if err := cp.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		return fmt.Errorf("rtc: applying answer: %w", err)
	}
	return nil
}

// SignalError is a non-2xx answer to an offer.
type SignalError struct {
	Status int
	Body   string
}

func (e *SignalError) Error() string {
	return fmt.Sprintf("rtc: signalling refused: %d %s", e.Status, e.Body)
}

// Close ends the peer connection and waits for pion's goroutines.
func (cp *ClientPeer) Close() error { return cp.PC.GracefulClose() }
