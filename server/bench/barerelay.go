package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/rtc"
)

// BareRelay is the floor a relaying server is compared with (issue 20): a
// server peer per client, answered by the same rtc.Engine settings as
// Haven's own, that forwards every data-channel message from a pair's side
// "a" to its side "b" as it arrives: no decoding, no engine, no store.
// Clients signal WHIP-style: POST an SDP offer to BASE/PAIR/SIDE.
type BareRelay struct {
	eng *rtc.Engine
	srv *http.Server
	url string

	mu    sync.Mutex
	pairs map[string]*[2]*webrtc.DataChannel
	pcs   []*webrtc.PeerConnection
}

// StartBareRelay serves the relay's signalling on a free loopback port.
func StartBareRelay(eng *rtc.Engine) (*BareRelay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: bare relay listener: %w", err)
	}
	b := &BareRelay{eng: eng, pairs: map[string]*[2]*webrtc.DataChannel{}, url: "http://" + ln.Addr().String()}
	b.srv = &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.srv.Serve(ln) }()
	return b, nil
}

// URL is the signalling base (append /PAIR/a or /PAIR/b).
func (b *BareRelay) URL() string { return b.url }

// ServeHTTP answers one client's offer.
func (b *BareRelay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pair, side, ok := strings.Cut(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodPost || !ok || pair == "" || (side != "a" && side != "b") {
		http.Error(w, "POST an SDP offer to /PAIR/a or /PAIR/b", http.StatusNotFound)
		return
	}
	offer, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	idx := 0
	if side == "b" {
		idx = 1
	}
	pc, answer, err := b.eng.Answer(r.Context(), string(offer), func(dc *webrtc.DataChannel) {
		b.mu.Lock()
		sides := b.pairs[pair]
		if sides == nil {
			sides = &[2]*webrtc.DataChannel{}
			b.pairs[pair] = sides
		}
		sides[idx] = dc
		b.mu.Unlock()
		if idx == 0 {
			dc.OnMessage(func(m webrtc.DataChannelMessage) { b.forward(sides, m.Data) })
		}
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	b.pcs = append(b.pcs, pc)
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/sdp")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// forward sends a message from side a on to side b, as it arrived.
func (b *BareRelay) forward(sides *[2]*webrtc.DataChannel, data []byte) {
	b.mu.Lock()
	out := sides[1]
	b.mu.Unlock()
	if out != nil {
		_ = out.Send(data)
	}
}

// Close stops signalling and closes every server peer.
func (b *BareRelay) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := b.srv.Shutdown(ctx)
	b.mu.Lock()
	pcs := b.pcs
	b.pcs = nil
	b.mu.Unlock()
	for _, pc := range pcs {
		err = errors.Join(err, pc.Close())
	}
	return err
}

// BareRelayClient is one pair of client peers on a BareRelay: side a sends
// numbered command-sized messages, side b records each one's send → receive
// time (both ends in this process, one monotonic clock), which crosses the
// loopback twice as a relayed command does.
type BareRelayClient struct {
	a, b  *rtc.ClientPeer
	pacer *pacer
}

// DialBareRelay connects pair's two sides (b first, so a's messages find it open).
func DialBareRelay(ctx context.Context, api *webrtc.API, base, pair string, rec *Recorder) (*BareRelayClient, error) {
	c := &BareRelayClient{pacer: newPacer(rec)}
	var err error
	c.b, err = rtc.Dial(ctx, api, rtc.DialOptions{URL: base + "/" + pair + "/b", Channels: []string{"relay"},
		OnMessage: func(_ string, m webrtc.DataChannelMessage) { c.pacer.received(m.Data) }})
	if err != nil {
		return nil, fmt.Errorf("bench: bare relay side b: %w", err)
	}
	c.a, err = rtc.Dial(ctx, api, rtc.DialOptions{URL: base + "/" + pair + "/a", Channels: []string{"relay"}})
	if err != nil {
		_ = c.b.Close()
		return nil, fmt.Errorf("bench: bare relay side a: %w", err)
	}
	return c, nil
}

// Run sends one message of size bytes every 1/rate seconds until ctx ends.
func (c *BareRelayClient) Run(ctx context.Context, rate float64, size int) error {
	return c.pacer.run(ctx, rate, size, c.a.Channels["relay"].Send)
}

// Close closes both client peers.
func (c *BareRelayClient) Close() {
	_ = c.a.Close()
	_ = c.b.Close()
}
