package scenario

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/fleet"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/wire"
)

// FleetSpec is everything the load needs to know about the server it
// drives: `haven bench live --fleet-process` hands it to `haven bench fleet`
// as the first line of the child's stdin.
type FleetSpec struct {
	Base string `json:"base"`
	// Nodes, when set, are the origins of a cluster's nodes: session i's
	// headset and console go to node i mod len(Nodes), which takes the
	// session's lease when they connect.
	Nodes []string `json:"nodes,omitempty"`
	// Cookie and CSRF are the signed-in therapist's credentials.
	Cookie        string         `json:"cookie"`
	CSRF          string         `json:"csrf"`
	Sessions      []sessionCreds `json:"sessions"`
	CommandEvery  time.Duration  `json:"command_every"`
	Duration      time.Duration  `json:"duration"`
	Parallel      int            `json:"parallel"`
	ProgressEvery time.Duration  `json:"progress_every"`
	// BareRelay is the signalling base of the bare pion relay ("": none).
	BareRelay string `json:"bare_relay,omitempty"`
	// PoseHz is each headset's pose rate (0: no pose channel).
	PoseHz int `json:"pose_hz,omitempty"`
}

// base is session i's server.
func (s FleetSpec) base(i int) string {
	if len(s.Nodes) > 0 {
		return s.Nodes[i%len(s.Nodes)]
	}
	return s.Base
}

// FleetResult is what the load measured: its counters, the latency
// distributions (relay, echo, bare relay) and its own process figures.
type FleetResult struct {
	Commands        int64            `json:"commands"`
	CommandsRefused int64            `json:"commands_refused"`
	SamplesSent     int64            `json:"samples_sent"`
	SamplesAcked    int64            `json:"samples_acked"`
	BatchesSent     int64            `json:"batches_sent"`
	BatchesAcked    int64            `json:"batches_acked"`
	ServerErrors    int64            `json:"server_errors"`
	ErrorCodes      map[string]int   `json:"error_codes,omitempty"`
	LinkLost        int64            `json:"link_lost"`
	Resumes         int64            `json:"resumes"`
	Acked           map[string]int64 `json:"acked"` // samples acknowledged per session
	UnackedSamples  int64            `json:"unacked_samples"`
	Relay           []int64          `json:"relay_ns"`
	Echo            []int64          `json:"echo_ns"`
	Bare            []int64          `json:"bare_ns"`
	EchoRatePerS    float64          `json:"echo_rate_per_s"`
	PosesSent       int64            `json:"poses_sent"`
	PoseBytes       int64            `json:"pose_bytes"`
	PosesRelayed    int64            `json:"poses_relayed"`
	// The fleet's own process over the load window (meaningful when it
	// runs alone in its process).
	CPUs          float64 `json:"cpu_s"`
	RSSBytes      int64   `json:"rss_bytes"`
	HeapGrowth    int64   `json:"heap_growth_bytes"` // live heap growth across connecting every pair
	Goroutines    int     `json:"goroutines"`
	SetupS        float64 `json:"setup_s"`
	LoadDurationS float64 `json:"load_duration_s"`
}

// fleetHooks tell the server side where the fleet is: after every pair
// connected (the server measures its heap; the load waits for it), and at
// the load window's start and end.
type fleetHooks struct {
	connected func(context.Context) error
	loadStart func()
	loadEnd   func()
	voice     *VoiceLoad // two-way voice on every pair (haven bench voice)
}

type pair struct {
	p *fleet.Patient
	t *fleet.Therapist
}

// runFleet connects every pair, runs the load with the echo and bare-relay
// floors beside it, drains acknowledgements and reports. The caller's
// hooks mark the phases.
func runFleet(ctx context.Context, spec FleetSpec, progress io.Writer, h fleetHooks) (FleetResult, error) {
	var res FleetResult
	n := len(spec.Sessions)
	relayRec, echoRec, bareRec := &bench.Recorder{}, &bench.Recorder{}, &bench.Recorder{}
	setupStart := time.Now()
	// Patients stream from the moment they connect, as headsets do: a
	// silent patient would be paused for link loss while others connect.
	var streaming sync.WaitGroup
	defer streaming.Wait() // deferred first, so it runs after stopRun
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	before := bench.ReadSelf(true)
	pairs, err := connectPairs(ctx, runCtx, &streaming, spec, progress, relayRec)
	defer closeAll(pairs)
	if err != nil {
		connected := 0
		for _, pr := range pairs {
			if pr.t != nil {
				connected++
			}
		}
		me := bench.ReadSelf(false)
		return res, fmt.Errorf("set-up broke after %d of %d pairs connected (%.1f s, fleet RSS %.0f MB, %d goroutines): %w",
			connected, n, time.Since(setupStart).Seconds(), bench.MB(me.RSSBytes), me.Goroutines, err)
	}
	after := bench.ReadSelf(true)
	res.HeapGrowth = int64(after.HeapInuse) - int64(before.HeapInuse)
	res.SetupS = bench.Round(time.Since(setupStart).Seconds(), 1)
	api := rtc.NewClientAPI()
	echo, err := bench.NewEcho(ctx, api, echoRec)
	if err != nil {
		return res, err
	}
	defer echo.Close()
	var bare *bench.BareRelayClient
	if spec.BareRelay != "" {
		if bare, err = bench.DialBareRelay(ctx, api, spec.BareRelay, "floor", bareRec); err != nil {
			return res, err
		}
		defer bare.Close()
	}
	if h.voice != nil {
		if err := h.voice.attach(ctx, pairs, spec.Parallel); err != nil {
			return res, fmt.Errorf("adding voice: %w", err)
		}
	}
	if err := h.connected(ctx); err != nil {
		return res, err
	}

	// The floors carry the relay's aggregate command rate (bounded so they
	// stay a light load) with a command-sized message.
	rate := min(500, max(10, float64(n)/spec.CommandEvery.Seconds()))
	res.EchoRatePerS = rate
	size := len(wire.Encode("cmd.intensity", 1000, 0, time.Now().UnixMilli(), 0, wire.CmdIntensity{Intensity: 50}))
	h.loadStart()
	cpu0, t0 := bench.SelfCPU(), time.Now()
	loadCtx, cancel := context.WithTimeout(ctx, spec.Duration)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = echo.Run(loadCtx, rate, size) }()
	if bare != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = bare.Run(loadCtx, rate, size) }()
	}
	if h.voice != nil {
		wg.Add(1)
		go func() { defer wg.Done(); h.voice.run(loadCtx) }()
	}
	for _, pr := range pairs {
		wg.Add(1)
		phase := time.Duration(rand.Int64N(int64(spec.CommandEvery)))
		go func() { defer wg.Done(); pr.t.Run(loadCtx, phase) }()
	}
	stop := bench.Progress(ctx, progress, spec.ProgressEvery, func() string {
		var sent, acked, cmds int64
		for _, pr := range pairs {
			sent += pr.p.C.SamplesSent.Load()
			acked += pr.p.C.SamplesAcked.Load()
			cmds += pr.t.C.Commands.Load()
		}
		me := bench.ReadSelf(false)
		return fmt.Sprintf("commands %d  samples sent %d acked %d  fleet rss %.0f MB  goroutines %d",
			cmds, sent, acked, bench.MB(me.RSSBytes), me.Goroutines)
	})
	<-loadCtx.Done()
	h.loadEnd()
	end := bench.ReadSelf(false)
	res.CPUs = bench.Round(end.CPUSeconds-cpu0, 2)
	res.LoadDurationS = bench.Round(time.Since(t0).Seconds(), 1)
	res.RSSBytes, res.Goroutines = end.RSSBytes, end.Goroutines
	stopRun()
	wg.Wait()
	streaming.Wait()
	stop()
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	drain(ctx, pairs, 15*time.Second)
	fill(&res, pairs)
	res.Relay, res.Echo, res.Bare = relayRec.Values(), echoRec.Values(), bareRec.Values()
	return res, nil
}

// connectPairs connects every pair in bounded parallel batches; each
// patient starts streaming as soon as it is connected.
func connectPairs(ctx, runCtx context.Context, streaming *sync.WaitGroup, spec FleetSpec, progress io.Writer, relayRec *bench.Recorder) ([]pair, error) {
	var done atomic.Int64
	n := len(spec.Sessions)
	stop := bench.Progress(ctx, progress, 2*time.Second, func() string {
		return fmt.Sprintf("set-up: connecting pairs %d/%d", done.Load(), n)
	})
	defer stop()
	api := rtc.NewClientAPI()
	client := fleet.NewHTTP()
	header := http.Header{"X-Csrf-Token": {spec.CSRF}, "Cookie": {spec.Cookie}}
	pairs := make([]pair, n)
	var mu sync.Mutex
	err := fleet.Parallel(ctx, n, spec.Parallel, &done, func(ctx context.Context, i int) error {
		relay := fleet.NewRelay(relayRec)
		p := fleet.NewPatient(fleet.PatientConfig{BaseURL: spec.base(i), SessionID: spec.Sessions[i].ID, Token: spec.Sessions[i].Token,
			API: api, HTTP: client, Relay: relay, Seed: uint64(i + 1), PoseHz: spec.PoseHz})
		t := fleet.NewTherapist(fleet.TherapistConfig{BaseURL: spec.base(i), SessionID: spec.Sessions[i].ID, HTTP: client,
			Header: header, API: api, Relay: relay, Every: spec.CommandEvery, Poses: spec.PoseHz > 0})
		if err := retry(ctx, p.Connect); err != nil {
			return err
		}
		mu.Lock()
		pairs[i].p = p
		mu.Unlock()
		streaming.Add(1)
		go func() { defer streaming.Done(); p.Run(runCtx) }()
		if err := retry(ctx, t.Connect); err != nil {
			return err
		}
		mu.Lock()
		pairs[i].t = t
		mu.Unlock()
		return nil
	})
	return pairs, err
}

// retry connects with up to 3 attempts of 30 s each: on a machine shared
// with other work a DTLS handshake occasionally misses its deadline.
func retry(ctx context.Context, connect func(context.Context) error) error {
	var err error
	for range 3 {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = connect(cctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// drain waits until every patient's batches are acknowledged (or timeout).
func drain(ctx context.Context, pairs []pair, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		left := 0
		for _, pr := range pairs {
			left += pr.p.Unacked()
		}
		if left == 0 {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func fill(res *FleetResult, pairs []pair) {
	res.Acked = map[string]int64{}
	for _, pr := range pairs {
		res.Commands += pr.t.C.Commands.Load()
		res.CommandsRefused += pr.t.C.Refused.Load()
		res.SamplesSent += pr.p.C.SamplesSent.Load()
		res.SamplesAcked += pr.p.C.SamplesAcked.Load()
		res.BatchesSent += pr.p.C.BatchesSent.Load()
		res.BatchesAcked += pr.p.C.BatchesAcked.Load()
		res.ServerErrors += pr.p.C.ServerErrors.Load() + pr.t.C.ServerErrors.Load()
		res.LinkLost += pr.t.C.LinkLost.Load()
		res.Resumes += pr.t.C.Resumes.Load()
		res.PosesSent += pr.p.C.PosesSent.Load()
		res.PoseBytes += pr.p.C.PoseBytes.Load()
		res.PosesRelayed += pr.t.C.Poses.Load()
		for code, n := range pr.p.ErrorCodes() {
			if res.ErrorCodes == nil {
				res.ErrorCodes = map[string]int{}
			}
			res.ErrorCodes[code] += n
		}
		res.Acked[pr.p.SessionID()] = pr.p.C.SamplesAcked.Load()
		res.UnackedSamples += int64(pr.p.UnackedSamples())
	}
}

func closeAll(pairs []pair) {
	_ = fleet.Parallel(context.Background(), len(pairs), 32, nil, func(_ context.Context, i int) error {
		if pairs[i].t != nil {
			pairs[i].t.Close()
		}
		if pairs[i].p != nil {
			pairs[i].p.Close()
		}
		return nil
	})
}
