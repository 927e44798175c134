// Package rtc configures pion for Haven's server-side peers (one UDP port via
// the ICE UDP mux, NAT 1:1, loopback-only test mode), answers WHIP-style
// offers, bounds per-channel send queues, and dials the server as a Go peer
// for simulated patients, benchmarks and tests.
package rtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/media"
)

// Options configure the server's WebRTC stack.
type Options struct {
	// LoopbackOnly offers only 127.0.0.1 candidates: tests and single-machine
	// demos, where browsers hide LAN addresses behind mDNS (RECIPES.md).
	LoopbackOnly bool
	// UDPPort, when non-zero, carries all peers' traffic on one port.
	UDPPort int
	// PublicIP is announced as a host candidate behind 1:1 NAT.
	PublicIP string
	// ICEServers (STUN/TURN, with a TURN server's credential) are used by
	// the server and handed to clients.
	ICEServers []ICEServer
	Logger     *slog.Logger
}

// muxSocketBuffer is the receive and send buffer asked for the single UDP
// port's socket.
const muxSocketBuffer = 8 << 20

// Engine creates server-side peer connections.
type Engine struct {
	api  *webrtc.API
	opts Options
	mux  ice.UDPMux
	// local answers peers inside this process (WithLocal): loopback
	// candidates only, whatever the clinic's network settings.
	local *webrtc.API
}

type localKey struct{}

// WithLocal marks ctx as a request from a peer in this same process (the
// simulated patient): Answer then offers loopback candidates, which every
// machine has, instead of the clinic network's. Only code can set it; no
// request from the network carries it.
func WithLocal(ctx context.Context) context.Context { return context.WithValue(ctx, localKey{}, true) }

func isLocal(ctx context.Context) bool { v, _ := ctx.Value(localKey{}).(bool); return v }

// Errors returned for bad offers; the HTTP layer maps them to coded errors.
var (
	ErrBadSDP          = errors.New("rtc: offer is not valid SDP")
	ErrNoDataChannel   = errors.New("rtc: offer has no data channel (application) section")
	ErrGatheringFailed = errors.New("rtc: ICE gathering did not complete")
)

// NewEngine builds the pion API for the given options.
func NewEngine(opts Options) (*Engine, error) {
	se := webrtc.SettingEngine{}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	se.LoggerFactory = pionLogs{log}
	// No mDNS: a server has real addresses and must not depend on multicast.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// Detect a vanished patient within ~2 s (DESIGN.md §3's safety budget).
	se.SetICETimeouts(2*time.Second, 5*time.Second, 500*time.Millisecond)
	e := &Engine{opts: opts}
	if opts.LoopbackOnly {
		loopbackOnly(&se)
	} else {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	}
	if opts.PublicIP != "" {
		se.SetNAT1To1IPs([]string{opts.PublicIP}, webrtc.ICECandidateTypeHost)
	}
	if opts.UDPPort > 0 {
		// Every peer's datagrams queue on this one socket: the default
		// buffer (≈ 208 KiB) overflowed under a 500-member room's fan-out
		// (thousands of drops a run, each an SCTP retransmission ≥ 1 s late).
		// The kernel caps the request at net.core.rmem_max / wmem_max.
		muxOpts := []ice.UDPMuxFromPortOption{ice.UDPMuxFromPortWithNetworks(ice.NetworkTypeUDP4),
			ice.UDPMuxFromPortWithReadBufferSize(muxSocketBuffer), ice.UDPMuxFromPortWithWriteBufferSize(muxSocketBuffer)}
		if opts.LoopbackOnly {
			muxOpts = append(muxOpts, ice.UDPMuxFromPortWithLoopback(), ice.UDPMuxFromPortWithInterfaceFilter(isLoopbackInterface))
		}
		mux, err := ice.NewMultiUDPMuxFromPort(opts.UDPPort, muxOpts...)
		if err != nil {
			return nil, fmt.Errorf("rtc: opening UDP port %d: %w", opts.UDPPort, err)
		}
		se.SetICEUDPMux(mux)
		e.mux = mux
	}
	e.api = peerAPI(se)
	e.local = e.api
	if !opts.LoopbackOnly {
		lse := webrtc.SettingEngine{}
		lse.LoggerFactory = pionLogs{log}
		lse.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		lse.SetICETimeouts(2*time.Second, 5*time.Second, 500*time.Millisecond)
		loopbackOnly(&lse)
		e.local = peerAPI(lse)
	}
	return e, nil
}

// peerAPI builds a pion API for Haven's peers: data channels, and Opus voice
// forwarded by server/media (no video codec: a video section is rejected).
// pion's default RTP interceptors (NACK, RTCP reports, TWCC) are left out:
// each would run its own ticker goroutines per connection, waking thousands
// of times a second across a busy server, for voice that is only passed on
// (the browsers at both ends run their own congestion control and FEC).
func peerAPI(se webrtc.SettingEngine) *webrtc.API {
	m := &webrtc.MediaEngine{}
	if err := media.RegisterOpus(m); err != nil {
		panic(err) // a fixed, valid codec: cannot fail
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(&interceptor.Registry{}))
}

func loopbackOnly(se *webrtc.SettingEngine) {
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(isLoopbackInterface)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
}

func isLoopbackInterface(name string) bool {
	return name == "lo" || strings.HasPrefix(name, "lo0")
}

// Close releases the shared UDP port.
func (e *Engine) Close() error {
	if e.mux != nil {
		return e.mux.Close()
	}
	return nil
}

// ICEServer is the JSON shape browsers pass to RTCPeerConnection
// (RTCIceServer): a TURN server's long-term credential beside its URL.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// ClientICEServers are the STUN/TURN servers handed to clients.
func (e *Engine) ClientICEServers() []ICEServer {
	out := make([]ICEServer, 0, len(e.opts.ICEServers))
	return append(out, e.opts.ICEServers...)
}

// ValidateOffer checks that offer parses as SDP and carries a data channel.
func ValidateOffer(offer string) error {
	if !strings.HasPrefix(offer, "v=0") {
		return fmt.Errorf("%w: must start with v=0", ErrBadSDP)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media == "application" {
			return nil
		}
	}
	return ErrNoDataChannel
}

// OfferSends reports whether an offer would send audio or video: a media
// section that is not rejected (port 0) and whose direction is sendrecv
// (the default) or sendonly.
func OfferSends(offer string) (audio, video bool, err error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return false, false, fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Port.Value == 0 || !sends(m) {
			continue
		}
		switch m.MediaName.Media {
		case "audio":
			audio = true
		case "video":
			video = true
		}
	}
	return audio, video, nil
}

func sends(m *sdp.MediaDescription) bool {
	for _, a := range m.Attributes {
		switch a.Key {
		case "recvonly", "inactive":
			return false
		case "sendonly", "sendrecv":
			return true
		}
	}
	return true // RFC 4566 §6: sendrecv when no direction is given
}

// Answer creates a peer connection for a remote offer and returns it with
// the complete (non-trickle) answer. onChannel is called for each data
// channel the remote opens. The peer outlives ctx, which bounds only the
// negotiation; the caller owns the connection.
func (e *Engine) Answer(ctx context.Context, offer string, onChannel func(*webrtc.DataChannel)) (*webrtc.PeerConnection, string, error) {
	return e.AnswerMedia(ctx, offer, onChannel, Media{})
}

// Media lets a caller take part in an offer's voice. OnTrack is set before
// the offer is applied (pion calls it for each incoming track, on its first
// packet); Prepare runs after each offer is applied and before its answer
// is made: there the caller attaches its outgoing tracks to the offer's
// audio transceivers, so the answer says sendrecv or sendonly for them.
type Media struct {
	OnTrack func(*webrtc.TrackRemote, *webrtc.RTPReceiver)
	Prepare func(*webrtc.PeerConnection) error
}

// AnswerMedia is Answer for a peer that may carry voice (see Media).
func (e *Engine) AnswerMedia(ctx context.Context, offer string, onChannel func(*webrtc.DataChannel), m Media) (*webrtc.PeerConnection, string, error) {
	if err := ValidateOffer(offer); err != nil {
		return nil, "", err
	}
	api, servers := e.api, e.serverICE()
	if isLocal(ctx) {
		api, servers = e.local, nil
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: servers})
	if err != nil {
		return nil, "", fmt.Errorf("rtc: new peer connection: %w", err)
	}
	pc.OnDataChannel(onChannel)
	if m.OnTrack != nil {
		pc.OnTrack(m.OnTrack)
	}
	answer, err := negotiateAnswer(ctx, pc, offer, m.Prepare)
	if err != nil {
		_ = pc.Close()
		return nil, "", err
	}
	return pc, answer, nil
}

// Restart applies a new offer to an existing peer (an ICE restart, or a
// renegotiation that adds or changes voice) and returns the new answer.
// prepare, when set, runs as Media.Prepare does.
func (e *Engine) Restart(ctx context.Context, pc *webrtc.PeerConnection, offer string, prepare func(*webrtc.PeerConnection) error) (string, error) {
	if err := ValidateOffer(offer); err != nil {
		return "", err
	}
	return negotiateAnswer(ctx, pc, offer, prepare)
}

func negotiateAnswer(ctx context.Context, pc *webrtc.PeerConnection, offer string, prepare func(*webrtc.PeerConnection) error) (string, error) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	if prepare != nil {
		if err := prepare(pc); err != nil {
			return "", err
		}
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("rtc: creating answer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("rtc: setting local description: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", fmt.Errorf("%w: %v", ErrGatheringFailed, ctx.Err())
	}
	return pc.LocalDescription().SDP, nil
}

func (e *Engine) serverICE() []webrtc.ICEServer {
	var out []webrtc.ICEServer
	for _, s := range e.opts.ICEServers {
		out = append(out, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return out
}
