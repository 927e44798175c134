package rtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// whipServer answers offers with the engine and echoes every message back.
func whipServer(t *testing.T, e *Engine) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offer, _ := io.ReadAll(r.Body)
		pc, answer, err := e.Answer(r.Context(), string(offer), func(dc *webrtc.DataChannel) {
			dc.OnMessage(func(m webrtc.DataChannelMessage) { _ = dc.Send(m.Data) })
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		t.Cleanup(func() { _ = pc.GracefulClose() })
		w.Header().Set("Location", "/peer/1")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDialAnswerEcho(t *testing.T) {
	for _, port := range []int{0, 47311} {
		t.Run(map[int]string{0: "ephemeral ports", 47311: "one UDP port"}[port], func(t *testing.T) {
			e, err := NewEngine(Options{LoopbackOnly: true, UDPPort: port})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = e.Close() })
			srv := whipServer(t, e)
			got := make(chan string, 1)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cp, err := Dial(ctx, NewClientAPI(), DialOptions{URL: srv.URL + "/whip", Channels: []string{"control", "signals"},
				OnMessage: func(label string, m webrtc.DataChannelMessage) { got <- label + ":" + string(m.Data) }})
			if err != nil {
				t.Fatal(err)
			}
			defer cp.Close()
			if cp.Location != srv.URL+"/peer/1" {
				t.Fatalf("Location = %q", cp.Location)
			}
			if err := cp.Channels["signals"].SendText("hello"); err != nil {
				t.Fatal(err)
			}
			select {
			case s := <-got:
				if s != "signals:hello" {
					t.Fatalf("echo = %q", s)
				}
			case <-ctx.Done():
				t.Fatal("no echo")
			}
		})
	}
}

func TestValidateOffer(t *testing.T) {
	t.Parallel()
	api := NewClientAPI()
	pc, _ := api.NewPeerConnection(webrtc.Configuration{})
	defer pc.Close()
	audioOnly, _ := pc.CreateOffer(nil) // no channels, no tracks: no application section
	tests := []struct {
		name  string
		offer string
		want  error
	}{
		{"garbage", "hello", ErrBadSDP},
		{"empty", "", ErrBadSDP},
		{"no data channel", audioOnly.SDP, ErrNoDataChannel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidateOffer(tc.offer); !errors.Is(err, tc.want) {
				t.Fatalf("ValidateOffer = %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzValidateOffer(f *testing.F) {
	f.Add("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, offer string) {
		_ = ValidateOffer(offer) // must not panic
	})
}

func TestOutboxOverflowIsTooSlow(t *testing.T) {
	t.Parallel()
	api := NewClientAPI()
	pc, _ := api.NewPeerConnection(webrtc.Configuration{})
	defer pc.Close()
	dc, _ := pc.CreateDataChannel("x", nil) // never opens: sends fail, queue fills
	o := NewOutbox(dc, 2)
	defer o.Close()
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		err = o.Send([]byte("m"))
	}
	if !errors.Is(err, ErrTooSlow) && !errors.Is(err, ErrClosed) {
		t.Fatalf("expected ErrTooSlow once the queue is full, got %v", err)
	}
	o.Close()
	if err := o.Send([]byte("m")); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close = %v", err)
	}
}

func TestOutboxGather(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		queued    []string
		limit     int
		want      string
		wantCarry string
		left      int // frames still queued after the gather
	}{
		{"nothing queued", nil, 64, "a", "", 0},
		{"joins what is queued", []string{"bb", "ccc"}, 64, "a\nbb\nccc", "", 0},
		{"stops at the limit and carries the next", []string{"bb", "ccc", "d"}, 7, "a\nbb", "ccc", 1},
		{"a frame alone over the limit still goes", nil, 0, "a", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &Outbox{batch: tc.limit, queue: make(chan []byte, 8)}
			for _, q := range tc.queued {
				o.queue <- []byte(q)
			}
			// first has spare capacity: a careless append would write into
			// the buffer every other member's outbox shares.
			shared := make([]byte, 1, 16)
			shared[0] = 'a'
			frame, carry := o.gather(shared)
			if string(frame) != tc.want || string(carry) != tc.wantCarry || len(o.queue) != tc.left {
				t.Fatalf("gather = %q carry %q, %d left; want %q carry %q, %d left", frame, carry, len(o.queue), tc.want, tc.wantCarry, tc.left)
			}
			if string(shared[:cap(shared)][:2]) != "a\x00" {
				t.Fatalf("the shared first frame was written into: %q", shared[:cap(shared)])
			}
		})
	}
}

// TestBatchingOutboxDelivers sends a burst through a batching outbox over a
// real data channel: every frame arrives once, in order, within the size bound.
func TestBatchingOutboxDelivers(t *testing.T) {
	t.Parallel()
	e, err := NewEngine(Options{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	const n, limit = 2000, 1024
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offer, _ := io.ReadAll(r.Body)
		pc, answer, err := e.Answer(r.Context(), string(offer), func(dc *webrtc.DataChannel) {
			dc.OnOpen(func() {
				o := NewBatchingOutbox(dc, n, limit)
				t.Cleanup(o.Close)
				for i := range n {
					if err := o.Send(fmt.Appendf(nil, `{"n":%d}`, i)); err != nil {
						t.Errorf("send %d: %v", i, err)
						return
					}
				}
			})
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		t.Cleanup(func() { _ = pc.Close() })
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	msgs := make(chan []byte, n)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cp, err := Dial(ctx, NewClientAPI(), DialOptions{URL: srv.URL, Channels: []string{"chat"},
		OnMessage: func(_ string, m webrtc.DataChannelMessage) { msgs <- m.Data }})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	next, batches := 0, 0
	for next < n {
		select {
		case m := <-msgs:
			batches++
			if len(m) > limit {
				t.Fatalf("a %d-byte message, over the %d-byte bound", len(m), limit)
			}
			for _, f := range strings.Split(string(m), "\n") {
				if want := fmt.Sprintf(`{"n":%d}`, next); f != want {
					t.Fatalf("frame %q, want %q", f, want)
				}
				next++
			}
		case <-ctx.Done():
			t.Fatalf("%d of %d frames arrived", next, n)
		}
	}
	t.Logf("%d frames in %d messages", n, batches)
}
