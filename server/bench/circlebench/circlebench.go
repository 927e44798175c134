package circlebench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

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
	Speakers int // speaking at the same time, each at its own level
	Duration time.Duration
	Progress io.Writer // progress lines; nil for none
	DataDir  string    // temporary directory for the database
	// MembersCommand, when set, starts the members' process (`haven bench
	// circle-members`, process.go); nil: the members share this process.
	MembersCommand func() *exec.Cmd
}

// Result is what `haven bench circle` prints.
type Result struct {
	Members  int `json:"members"`
	Speakers int `json:"speakers"`
	// ForwardP50us / P99us: from the server's read of a voice packet to the
	// return of its last write to a listener (SRTP decrypt to encrypt).
	ForwardP50us float64 `json:"forward_p50_us"`
	ForwardP99us float64 `json:"forward_p99_us"`
	ForwardMaxUs float64 `json:"forward_max_us"`
	// StreamsPerListener is the most voices any listener received at once
	// (slots with packets in one 200 ms window).
	StreamsPerListener int `json:"streams_per_listener"`
	// PacketsSent counts the speakers' packets; PacketsForwarded the
	// server's writes to listeners; PacketsReceived the listeners' reads.
	PacketsSent int64 `json:"packets_sent"`
	// PacketsIn counts the speakers' packets the server read and forwarded
	// (sent minus PacketsIn were lost on the way in, with S ≤ 3).
	PacketsIn        int64 `json:"packets_in"`
	PacketsForwarded int64 `json:"packets_forwarded"`
	PacketsReceived  int64 `json:"packets_received"`
	// PacketsLost is what the listeners' slots' sequence numbers span
	// minus what they received (the standard RTP count, RFC 3550 §6.4.1).
	PacketsLost int64 `json:"packets_lost"`
	// CPUCores is the process's CPU time over the run's wall time: the
	// server and all M simulated members share this process, unless
	// MembersProcess: then it is the server's alone, and MembersCPUCores
	// and MembersRSSMB are the members' process's.
	CPUCores float64 `json:"cpu_cores"`
	// BytesPerMemberPerS is what one member receives a second: voice (RTP
	// headers and payload) and the chat channel (poses, speakers, presence).
	BytesPerMemberPerS float64 `json:"bytes_per_member_per_s"`
	// PosesPerMemberPerS is how many members' poses one member receives a
	// second: relayed all to all it would be (M − 1) × pose_hz; the server's
	// interest management bounds it by groups.PoseFrameMax × pose_hz.
	PosesPerMemberPerS float64 `json:"poses_per_member_per_s"`
	PoseHz             int     `json:"pose_hz"`
	SetupSeconds       float64 `json:"setup_s"`
	RSSMB              float64 `json:"rss_mb"`
	Goroutines         int     `json:"goroutines"`
	MembersProcess     bool    `json:"members_process"`
	MembersCPUCores    float64 `json:"members_cpu_cores,omitempty"`
	MembersRSSMB       float64 `json:"members_rss_mb,omitempty"`
}

// Run performs one measurement.
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.Members < 2 || opts.Speakers < 1 || opts.Speakers > opts.Members || opts.Duration <= 0 {
		return Result{}, fmt.Errorf("circlebench: need members ≥ 2, 1 ≤ speakers ≤ members, duration > 0")
	}
	dir := opts.DataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "haven-bench-circle-")
		if err != nil {
			return Result{}, fmt.Errorf("circlebench: %w", err)
		}
		dir = d
		defer os.RemoveAll(dir)
	}
	srv, err := inproc.Start(ctx, config.Config{DataDir: dir, Synchronous: "NORMAL"}, nil, func(a *app.App) {
		lim := groups.DefaultLimits()
		lim.JoinsPerMinute, lim.JoinBurst = 1e6, 1e6 // every join comes from one address
		lim.SignalPerMinute, lim.SignalBurst = 1e6, 1e6
		a.Groups.SetLimits(lim)
	})
	if err != nil {
		return Result{}, fmt.Errorf("circlebench: %w", err)
	}
	defer srv.Close()
	room, err := createCircle(ctx, srv.App.Store, opts.Members)
	if err != nil {
		return Result{}, err
	}
	if opts.Progress != nil {
		opts.Progress = &lockedWriter{w: opts.Progress}
	}
	progress := func(format string, args ...any) {
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "bench circle: "+format+"\n", args...)
		}
	}
	if opts.MembersCommand != nil {
		return runSplit(ctx, opts, srv, room, progress)
	}

	setup := time.Now()
	members, err := connect(ctx, srv.Base, room.Code, opts.Members, progress)
	defer closeAll(members)
	if err != nil {
		return Result{}, err
	}
	setupS := time.Since(setup).Seconds()
	progress("all %d members connected in %.1f s", len(members), setupS)
	time.Sleep(2 * time.Second) // presence deltas of the joins drain before timing

	var rec bench.Recorder
	var forwarded, in atomic.Int64
	srv.App.Groups.SetForwardHook(func(at, out time.Time, wrote int) {
		in.Add(1)
		rec.Add(out.Sub(at))
		forwarded.Add(int64(wrote))
	})
	defer srv.App.Groups.SetForwardHook(nil)

	received0, bytes0 := totals(members)
	poses0 := poseTotal(members)
	cpu0, _ := bench.ReadProc(os.Getpid())
	start := time.Now()
	sent, streams := drive(ctx, members, opts)
	wall := time.Since(start)
	proc, _ := bench.ReadProc(os.Getpid())
	// what was written in the last moments is still on its way
	deadline := time.Now().Add(3 * time.Second)
	var received, bytesIn int64
	for {
		r, b := totals(members)
		received, bytesIn = r-received0, b-bytes0
		if received >= forwarded.Load() || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	s := rec.Summary()
	return Result{Members: len(members), Speakers: opts.Speakers,
		ForwardP50us: s.P50, ForwardP99us: s.P99, ForwardMaxUs: s.Max, StreamsPerListener: streams,
		PacketsSent: sent, PacketsIn: in.Load(), PacketsForwarded: forwarded.Load(), PacketsReceived: received, PacketsLost: expected(members) - received - received0,
		CPUCores:           bench.Round((proc.CPUSeconds-cpu0.CPUSeconds)/wall.Seconds(), 2),
		BytesPerMemberPerS: bench.Round(float64(bytesIn)/float64(len(members))/wall.Seconds(), 0),
		PosesPerMemberPerS: bench.Round(float64(poseTotal(members)-poses0)/float64(len(members))/wall.Seconds(), 0),
		PoseHz:             groups.PoseHz, SetupSeconds: bench.Round(setupS, 2),
		RSSMB: bench.Round(float64(proc.RSSBytes)/(1<<20), 1), Goroutines: runtime.NumGoroutine()}, nil
}

func expected(ms []*Member) (n int64) {
	for _, m := range ms {
		n += m.Expected()
	}
	return n
}

func totals(ms []*Member) (packets, bytes int64) {
	for _, m := range ms {
		packets += m.Total()
		bytes += m.Bytes.Load()
	}
	return packets, bytes
}

// poseTotal is the members' poses received so far.
func poseTotal(ms []*Member) (n int64) {
	for _, m := range ms {
		n += m.PoseEntries.Load()
	}
	return n
}

func createCircle(ctx context.Context, st *store.Store, members int) (store.GroupRoom, error) {
	clinic := store.Clinic{ID: store.NewID(), Name: "Bench clinic", DefaultLocale: "en", CreatedAt: time.Now().UTC()}
	room := store.GroupRoom{ID: store.NewID(), ClinicID: clinic.ID, Code: fmt.Sprintf("CB%06d", time.Now().UnixNano()%1e6),
		Topic: "Bench circle", Locale: "en", Capacity: members + 1, Space: "forest", CreatedAt: time.Now().UTC()}
	if err := st.DB.WithContext(ctx).Create(&clinic).Error; err != nil {
		return room, fmt.Errorf("circlebench: %w", err)
	}
	if err := st.DB.WithContext(ctx).Create(&room).Error; err != nil {
		return room, fmt.Errorf("circlebench: %w", err)
	}
	return room, nil
}

// connect joins every member, a few at a time.
func connect(ctx context.Context, base, code string, n int, progress func(string, ...any)) ([]*Member, error) {
	members := make([]*Member, n)
	api := rtc.NewClientAPI()
	hc := &http.Client{Timeout: 20 * time.Second}
	var (
		wg   sync.WaitGroup
		once sync.Once
		ferr error
		done atomic.Int64
	)
	sem := make(chan struct{}, 8)
	for i := range members {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			m, err := Join(ctx, api, hc, base, code, nil)
			if err != nil {
				once.Do(func() { ferr = err })
				return
			}
			members[i] = m
			if c := done.Add(1); c%25 == 0 {
				progress("%d members connected", c)
			}
		}()
	}
	wg.Wait()
	return members, ferr
}

// drive runs the load for opts.Duration: the first opts.Speakers members
// send a 20 ms packet each 20 ms (open loop, each at its own level), every
// member sends its pose PoseHz times a second; every 200 ms each
// listener's slots with new packets are counted. It returns the packets
// sent and the most slots any listener had active in one window.
func drive(ctx context.Context, ms []*Member, opts Options) (sent int64, streams int) {
	voice := time.NewTicker(20 * time.Millisecond)
	defer voice.Stop()
	pose := time.NewTicker(time.Second / groups.PoseHz)
	defer pose.Stop()
	window := time.NewTicker(200 * time.Millisecond)
	defer window.Stop()
	last := make([][groups.MaxSpeakers]int64, len(ms))
	end := time.After(opts.Duration)
	tick := 0
	for {
		select {
		case <-ctx.Done():
			return sent, streams
		case <-end:
			return sent, streams
		case <-voice.C:
			for i := range opts.Speakers {
				if ms[i].Speak(uint8(20+3*i)) == nil {
					sent++
				}
			}
		case <-pose.C:
			tick++
			yaw := 0.05 * float64(tick%40) // a slow look around, as a unit quaternion about y
			h := []float64{0, 1.2, 0, 0, math.Sin(yaw / 2), 0, math.Cos(yaw / 2)}
			for _, m := range ms {
				_ = m.Send("circle.pose", map[string]any{"h": h})
			}
		case <-window.C:
			for i, m := range ms {
				active := 0
				for s := range m.Received {
					n := m.Received[s].Load()
					if n > last[i][s] {
						active++
					}
					last[i][s] = n
				}
				streams = max(streams, active)
			}
		}
	}
}
