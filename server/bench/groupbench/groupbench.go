// Package groupbench measures support-room fan-out (DESIGN.md §9): N real
// pion members in one room of an in-process server on loopback, R chat
// messages a second in total, every delivery timed from send to receipt.
// `haven bench groups` prints its Result.
package groupbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/app"
	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/inproc"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
)

// Options size a run.
type Options struct {
	Members  int
	Rate     float64 // messages per second, all members together
	Duration time.Duration
	Progress io.Writer // progress lines; nil for none
	DataDir  string    // temporary directory for the database
	// CPUProfile, when set, receives a pprof CPU profile of the sending phase.
	CPUProfile io.Writer
	// UDPPort, when set, carries every member on one server UDP port (pion's
	// UDP mux), as a deployment behind a firewall does with --udp-port.
	UDPPort int
}

// Result is what `haven bench groups` prints.
type Result struct {
	Members      int     `json:"members"`
	Messages     int64   `json:"messages"`
	Expected     int64   `json:"expected"`
	Delivered    int64   `json:"delivered"`
	Lost         int64   `json:"lost"`
	P50us        float64 `json:"p50_us"`
	P90us        float64 `json:"p90_us"`
	P99us        float64 `json:"p99_us"`
	MaxUs        float64 `json:"max_us"`
	RSSMB        float64 `json:"rss_mb"`
	SetupSeconds float64 `json:"setup_s"`
	CPUSeconds   float64 `json:"cpu_s"`
	DroppedPeers int64   `json:"dropped_peers"`
}

type member struct {
	cp     *rtc.ClientPeer
	closed atomic.Bool
}

type run struct {
	opts      Options
	base      string
	sentAt    sync.Map // message text -> time.Time
	rec       bench.Recorder
	delivered atomic.Int64
	dropped   atomic.Int64
}

// Run performs one measurement.
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.Members < 2 || opts.Rate <= 0 || opts.Duration <= 0 {
		return Result{}, fmt.Errorf("groupbench: need members ≥ 2, rate > 0, duration > 0")
	}
	a, stop, base, err := startServer(ctx, opts)
	if err != nil {
		return Result{}, err
	}
	defer stop()
	r := &run{opts: opts, base: base}
	room, err := createRoom(ctx, a.Store, opts.Members)
	if err != nil {
		return Result{}, err
	}
	setup := time.Now()
	members, err := r.connect(ctx, room)
	defer func() {
		for _, m := range members {
			if m != nil {
				_ = m.cp.PC.Close()
			}
		}
	}()
	if err != nil {
		return Result{}, err
	}
	setupS := time.Since(setup).Seconds()
	r.progress("all %d members connected in %.1f s", len(members), setupS)
	// Let presence deltas of the joins drain before timing anything.
	time.Sleep(2 * time.Second)
	cpu0, _ := bench.ReadProc(os.Getpid())
	if opts.CPUProfile != nil {
		if err := pprof.StartCPUProfile(opts.CPUProfile); err != nil {
			return Result{}, fmt.Errorf("groupbench: %w", err)
		}
	}
	sent := r.send(ctx, members)
	expected := sent * int64(len(members))
	deadline := time.Now().Add(10 * time.Second)
	for r.delivered.Load() < expected && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	if opts.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	proc, _ := bench.ReadProc(os.Getpid())
	s := r.rec.Summary()
	return Result{Members: len(members), Messages: sent, Expected: expected, Delivered: r.delivered.Load(),
		Lost: expected - r.delivered.Load(), P50us: s.P50, P90us: s.P90, P99us: s.P99, MaxUs: s.Max,
		RSSMB: bench.Round(float64(proc.RSSBytes)/(1<<20), 1), SetupSeconds: bench.Round(setupS, 2),
		CPUSeconds: bench.Round(proc.CPUSeconds-cpu0.CPUSeconds, 2), DroppedPeers: r.dropped.Load()}, nil
}

func (r *run) progress(format string, args ...any) {
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, "bench groups: "+format+"\n", args...)
	}
}

func startServer(ctx context.Context, opts Options) (*app.App, func(), string, error) {
	dir := opts.DataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "haven-bench-groups-")
		if err != nil {
			return nil, nil, "", fmt.Errorf("groupbench: %w", err)
		}
		dir = d
	}
	// Ephemeral UDP ports per peer unless asked for the single-port mux.
	cfg := config.Config{DataDir: dir, Synchronous: "NORMAL", UDPPort: opts.UDPPort}
	srv, err := inproc.Start(ctx, cfg, nil, func(a *app.App) {
		lim := groups.DefaultLimits()
		// Joins all come from one address; members send rate/members a second each.
		lim.JoinsPerMinute, lim.JoinBurst = 1e6, 1e6
		perMember := opts.Rate / float64(opts.Members) * 60
		lim.NewPerMinute, lim.NewBurst = perMember*4+60, 20
		lim.PerMinute, lim.Burst = perMember*4+60, 20
		// Every member's offer (and any reconnect) within the setup burst.
		lim.SignalPerMinute, lim.SignalBurst = 1e6, 1e6
		a.Groups.SetLimits(lim)
	})
	if err != nil {
		return nil, nil, "", fmt.Errorf("groupbench: %w", err)
	}
	stop := func() {
		_ = srv.Close()
		if opts.DataDir == "" {
			_ = os.RemoveAll(dir)
		}
	}
	return srv.App, stop, srv.Base, nil
}

func createRoom(ctx context.Context, st *store.Store, capacity int) (store.GroupRoom, error) {
	clinic := store.Clinic{ID: store.NewID(), Name: "Bench clinic", DefaultLocale: "en", CreatedAt: time.Now().UTC()}
	room := store.GroupRoom{ID: store.NewID(), ClinicID: clinic.ID, Code: "BENCH" + store.RandomToken(2)[:3], Topic: "Bench room",
		Locale: "en", Capacity: capacity + 1, CreatedAt: time.Now().UTC()}
	if err := st.DB.WithContext(ctx).Create(&clinic).Error; err != nil {
		return room, fmt.Errorf("groupbench: %w", err)
	}
	room.Code = fmt.Sprintf("BN%06d", time.Now().UnixNano()%1e6)
	if err := st.DB.WithContext(ctx).Create(&room).Error; err != nil {
		return room, fmt.Errorf("groupbench: %w", err)
	}
	return room, nil
}

// connect joins and dials every member, a few at a time.
func (r *run) connect(ctx context.Context, room store.GroupRoom) ([]*member, error) {
	members := make([]*member, r.opts.Members)
	api := rtc.NewClientAPI()
	var (
		n    atomic.Int64
		wg   sync.WaitGroup
		once sync.Once
		ferr error
	)
	sem := make(chan struct{}, 8)
	for i := range members {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			m, err := r.dial(ctx, api, room)
			if err != nil {
				once.Do(func() { ferr = err })
				return
			}
			members[i] = m
			if c := n.Add(1); c%100 == 0 {
				r.progress("%d members connected", c)
			}
		}()
	}
	wg.Wait()
	return members, ferr
}

func (r *run) dial(ctx context.Context, api *webrtc.API, room store.GroupRoom) (*member, error) {
	body, _ := json.Marshal(map[string]any{"code": room.Code, "accept_rules": true})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/api/groups/join", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("groupbench: join: %w", err)
	}
	var jr groups.JoinResponse
	err = json.NewDecoder(resp.Body).Decode(&jr)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("groupbench: join: status %d: %v", resp.StatusCode, err)
	}
	m := &member{}
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cp, err := rtc.Dial(dctx, api, rtc.DialOptions{URL: r.base + "/api/groups/rooms/" + jr.RoomID + "/peer",
		Header: http.Header{"Authorization": {"Bearer " + jr.Token}}, Channels: []string{"chat"},
		OnMessage: func(_ string, msg webrtc.DataChannelMessage) { r.received(m, msg.Data) }})
	if err != nil {
		return nil, fmt.Errorf("groupbench: dial: %w", err)
	}
	m.cp = cp
	return m, nil
}

// received times the deliveries in one data-channel message: the room
// batches frames that queued up for a member, newline-separated.
func (r *run) received(m *member, data []byte) {
	now := time.Now()
	for frame := range bytes.SplitSeq(data, []byte{'\n'}) {
		r.frame(m, frame, now)
	}
}

// frame times one delivery. Only chat.msg frames are decoded fully.
func (r *run) frame(m *member, data []byte, now time.Time) {
	if !bytes.Contains(data, []byte(`"chat.msg"`)) {
		if bytes.Contains(data, []byte(`"peer_too_slow"`)) && m.closed.CompareAndSwap(false, true) {
			r.dropped.Add(1)
		}
		return
	}
	var f struct {
		Body struct {
			Text string `json:"text"`
		} `json:"body"`
	}
	if json.Unmarshal(data, &f) != nil {
		return
	}
	if v, ok := r.sentAt.Load(f.Body.Text); ok {
		r.rec.Add(now.Sub(v.(time.Time)))
		r.delivered.Add(1)
	}
}

// send offers rate messages a second round-robin over the members, open
// loop: a late tick sends every message that fell due, so a starved sender
// shows up as latency rather than as a quietly lower rate.
func (r *run) send(ctx context.Context, members []*member) int64 {
	t := time.NewTicker(time.Duration(float64(time.Second) / r.opts.Rate))
	defer t.Stop()
	start := time.Now()
	stopProgress := bench.Progress(ctx, progressWriter(r.opts.Progress), 5*time.Second, func() string {
		return "delivered " + strconv.FormatInt(r.delivered.Load(), 10)
	})
	defer stopProgress()
	total := int64(r.opts.Rate * r.opts.Duration.Seconds())
	var sent, i int64
	for i < total {
		select {
		case <-ctx.Done():
			return sent
		case <-t.C:
		}
		due := min(total, int64(time.Since(start).Seconds()*r.opts.Rate)+1)
		for ; i < due; i++ {
			m := members[int(i)%len(members)]
			text := "bench " + letters(int(i))
			frame, _ := json.Marshal(map[string]any{"v": 1, "type": "chat.send", "body": map[string]string{"text": text}})
			r.sentAt.Store(text, time.Now())
			if err := m.cp.Channels["chat"].Send(frame); err == nil {
				sent++
			} else {
				r.sentAt.Delete(text)
			}
		}
	}
	return sent
}

func progressWriter(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// letters spells n in the letters a–z only, so a message can never look
// like a phone number or any other text automatic moderation would change.
func letters(n int) string {
	b := []byte("msg")
	for {
		b = append(b, byte('a'+n%26))
		n /= 26
		if n == 0 {
			return string(b)
		}
	}
}
