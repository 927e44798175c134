package scenario

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/fleet"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/wire"
)

// LiveOptions configure `haven bench live`.
type LiveOptions struct {
	Sessions      int
	Duration      time.Duration
	CommandEvery  time.Duration // per therapist (default 1 s)
	SampleEvery   time.Duration // soak series interval (0: none)
	Parallel      int           // concurrent connects during set-up (default 32)
	Sync          string        // SQLite synchronous (default NORMAL)
	Progress      io.Writer     // progress lines (nil: none)
	ProgressEvery time.Duration
	Logger        *slog.Logger
	// CPUProfile, when set, receives a pprof CPU profile of the load phase.
	CPUProfile io.Writer
}

// LiveResult is the one JSON object `haven bench live` prints.
type LiveResult struct {
	Sessions         int     `json:"sessions"`
	Peers            int     `json:"peers"`
	DurationS        float64 `json:"duration_s"`
	SetupS           float64 `json:"setup_s"`
	Commands         int64   `json:"commands"`
	CommandsRelayed  int     `json:"commands_relayed"`
	CommandsRefused  int64   `json:"commands_refused"`
	RelayP50us       float64 `json:"relay_p50_us"`
	RelayP90us       float64 `json:"relay_p90_us"`
	RelayP99us       float64 `json:"relay_p99_us"`
	RelayMaxUs       float64 `json:"relay_max_us"`
	EchoCount        int     `json:"echo_count"`
	EchoRatePerS     float64 `json:"echo_rate_per_s"`
	EchoP50us        float64 `json:"echo_p50_us"`
	EchoP99us        float64 `json:"echo_p99_us"`
	RelayOverEchoP99 float64 `json:"relay_over_echo_p99"`
	SamplesSent      int64   `json:"samples_sent"`
	SamplesAcked     int64   `json:"samples_acked"`
	SamplesPersisted int64   `json:"samples_persisted"`
	SamplesLost      int64   `json:"samples_lost"`
	// The two parts of samples_lost: acknowledged yet missing from the store,
	// and sent yet still unacknowledged after the drain.
	AckedNotPersisted int64          `json:"acked_not_persisted"`
	UnackedAtEnd      int64          `json:"unacked_at_end"`
	BatchesSent       int64          `json:"batches_sent"`
	BatchesAcked      int64          `json:"batches_acked"`
	ServerErrors      int64          `json:"server_errors"`
	ServerErrorCodes  map[string]int `json:"server_error_codes,omitempty"` // patients' error messages by code
	LinkLostAlerts    int64          `json:"link_lost_alerts"`
	// ServerMsgsPerS counts data-channel messages the server received and
	// sent per second during the load (its own Prometheus counter).
	ServerMsgsPerS   float64       `json:"server_msgs_per_s"`
	Resumes          int64         `json:"resumes"`
	RSSMB            float64       `json:"rss_mb"`
	HeapPerSessionKB float64       `json:"heap_per_session_kb"`
	Goroutines       int           `json:"goroutines"`
	CPUs             float64       `json:"cpu_s"`
	CPUCores         float64       `json:"cpu_cores"`
	LoadAvg1         float64       `json:"load_avg_1m"`
	Series           []bench.Point `json:"series,omitempty"`
	// Errors are failures after the load ran (e.g. a shutdown that overran
	// its budget): the figures above are still printed, the exit code is 1.
	Errors []string `json:"errors,omitempty"`

	acked map[string]int64 // samples acknowledged per session
}

func (o *LiveOptions) defaults() {
	if o.CommandEvery <= 0 {
		o.CommandEvery = time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = 32
	}
	if o.Sync == "" {
		o.Sync = "NORMAL"
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

type pair struct {
	p *fleet.Patient
	t *fleet.Therapist
}

// Live runs the live-session benchmark: an in-process server on loopback,
// N therapist/patient pairs of real pion peers through the real API and
// signalling, biosignals at realistic rates, one command per therapist per
// interval, and a bare echo pair at the same aggregate rate as the floor.
func Live(ctx context.Context, o LiveOptions) (LiveResult, error) {
	o.defaults()
	res := LiveResult{Sessions: o.Sessions, Peers: 2 * o.Sessions}
	dir, err := os.MkdirTemp("", "haven-bench-live-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	srv, err := startInProcess(ctx, dir, o.Sync, o.Logger)
	if err != nil {
		return res, err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = srv.Close()
		}
	}()
	relayRec, echoRec := &bench.Recorder{}, &bench.Recorder{}
	setupStart := time.Now()
	// Patients stream from the moment they connect, as headsets do: a
	// silent patient would be paused for link loss while others connect.
	var streaming sync.WaitGroup
	defer streaming.Wait() // deferred first, so it runs after stopRun
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	pairs, before, err := setUp(ctx, runCtx, &streaming, srv, o, relayRec)
	defer closeAll(pairs)
	if err != nil {
		connected := 0
		for _, pr := range pairs {
			if pr.t != nil {
				connected++
			}
		}
		me := bench.ReadSelf(false)
		return res, fmt.Errorf("set-up broke after %d of %d pairs connected (%.1f s, RSS %.0f MB, %d goroutines): %w",
			connected, o.Sessions, time.Since(setupStart).Seconds(), bench.MB(me.RSSBytes), me.Goroutines, err)
	}
	after := bench.ReadSelf(true)
	res.SetupS = bench.Round(time.Since(setupStart).Seconds(), 1)
	res.HeapPerSessionKB = bench.Round(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/1024/float64(max(1, o.Sessions)), 1)

	if o.CPUProfile != nil {
		if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
			return res, fmt.Errorf("scenario: CPU profile: %w", err)
		}
	}
	msgs0, cpu0, t0 := serverMessages(srv), bench.SelfCPU(), time.Now()
	end, err := runLoad(ctx, srv, o, pairs, echoRec, &res, stopRun, &streaming)
	if err != nil {
		return res, err
	}
	if o.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	res.DurationS = bench.Round(time.Since(t0).Seconds(), 1)
	res.CPUs = bench.Round(end.CPUSeconds-cpu0, 2)
	res.ServerMsgsPerS = bench.Round((end.msgs-msgs0)/end.at.Sub(t0).Seconds(), 0)
	res.CPUCores = bench.Round(res.CPUs/end.at.Sub(t0).Seconds(), 2)
	res.RSSMB, res.Goroutines, res.LoadAvg1 = bench.MB(end.RSSBytes), end.Goroutines, bench.LoadAvg()

	fill(&res, pairs, relayRec, echoRec)
	perSession := map[string]int64{}
	unacked := int64(0)
	for _, pr := range pairs {
		unacked += int64(pr.p.UnackedSamples())
	}
	closeAll(pairs)
	pairs = nil
	stopped = true
	if err := srv.Close(); err != nil {
		res.Errors = append(res.Errors, err.Error())
	}
	// WAL readers don't block a server still flushing, so this works even
	// when the graceful stop overran its budget.
	if perSession, err = persisted(ctx, dir); err != nil {
		res.Errors = append(res.Errors, err.Error())
	}
	for _, n := range perSession {
		res.SamplesPersisted += n
	}
	res.UnackedAtEnd, res.AckedNotPersisted = unacked, ackedNotPersisted(res, perSession)
	res.SamplesLost = res.UnackedAtEnd + res.AckedNotPersisted
	return res, nil
}

// ackedNotPersisted is Σ over sessions of acknowledged samples missing from the store.
func ackedNotPersisted(res LiveResult, persistedBySession map[string]int64) int64 {
	var lost int64
	for id, acked := range res.acked {
		if d := acked - persistedBySession[id]; d > 0 {
			lost += d
		}
	}
	return lost
}

type endStats struct {
	bench.Self
	at   time.Time
	msgs float64
}

// serverMessages reads the server's data-channel message counter.
func serverMessages(srv *inProcess) float64 {
	var n float64
	for _, ch := range []string{wire.Control, wire.Signals} {
		for _, dir := range []string{"in", "out"} {
			var m dto.Metric
			if srv.App.Metrics.Messages.WithLabelValues(ch, dir).Write(&m) == nil {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

// setUp creates the sessions and connects every pair in bounded parallel batches.
func setUp(ctx, runCtx context.Context, streaming *sync.WaitGroup, srv *inProcess, o LiveOptions, relayRec *bench.Recorder) ([]pair, bench.Self, error) {
	var done atomic.Int64
	// The progress printer reads the stage from its own goroutine.
	var stage atomic.Value
	stage.Store("creating sessions")
	stop := bench.Progress(ctx, o.Progress, 2*time.Second, func() string {
		return fmt.Sprintf("set-up: %s %d/%d", stage.Load(), done.Load(), o.Sessions)
	})
	defer stop()
	client, creds, err := createSessions(ctx, srv, o.Sessions, 16, &done)
	if err != nil {
		return nil, bench.Self{}, err
	}
	before := bench.ReadSelf(true)
	api := rtc.NewClientAPI()
	done.Store(0)
	stage.Store("connecting pairs")
	pairs := make([]pair, o.Sessions)
	var mu sync.Mutex
	err = fleet.Parallel(ctx, o.Sessions, o.Parallel, &done, func(ctx context.Context, i int) error {
		relay := fleet.NewRelay(relayRec)
		p := fleet.NewPatient(fleet.PatientConfig{BaseURL: srv.Base, SessionID: creds[i].ID, Token: creds[i].Token,
			API: api, HTTP: client.HTTP, Relay: relay, Seed: uint64(i + 1)})
		t := fleet.NewTherapist(fleet.TherapistConfig{BaseURL: srv.Base, SessionID: creds[i].ID, HTTP: client.HTTP,
			Header: client.Header(), API: api, Relay: relay, Every: o.CommandEvery})
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
	return pairs, before, err
}

// runLoad streams for the duration, then stops sending and drains acks.
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

func runLoad(ctx context.Context, srv *inProcess, o LiveOptions, pairs []pair, echoRec *bench.Recorder, res *LiveResult,
	stopRun context.CancelFunc, streaming *sync.WaitGroup) (endStats, error) {
	echo, err := bench.NewEcho(ctx, rtc.NewClientAPI(), echoRec)
	if err != nil {
		return endStats{}, err
	}
	defer echo.Close()
	// The echo carries the relay's aggregate command rate (bounded so the
	// floor itself stays a light load) with a command-sized message.
	rate := min(500, max(10, float64(o.Sessions)/o.CommandEvery.Seconds()))
	res.EchoRatePerS = rate
	size := len(wire.Encode("cmd.intensity", 1000, 0, time.Now().UnixMilli(), 0, wire.CmdIntensity{Intensity: 50}))
	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	sampler := bench.StartSampler(ctx, o.SampleEvery)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = echo.Run(runCtx, rate, size) }()
	for _, pr := range pairs {
		wg.Add(1)
		phase := time.Duration(rand.Int64N(int64(o.CommandEvery)))
		go func() { defer wg.Done(); pr.t.Run(runCtx, phase) }()
	}
	stop := bench.Progress(ctx, o.Progress, o.ProgressEvery, func() string {
		var sent, acked, cmds int64
		for _, pr := range pairs {
			sent += pr.p.C.SamplesSent.Load()
			acked += pr.p.C.SamplesAcked.Load()
			cmds += pr.t.C.Commands.Load()
		}
		me := bench.ReadSelf(false)
		return fmt.Sprintf("commands %d  samples sent %d acked %d  rss %.0f MB  goroutines %d",
			cmds, sent, acked, bench.MB(me.RSSBytes), me.Goroutines)
	})
	<-runCtx.Done()
	end := endStats{Self: bench.ReadSelf(false), at: time.Now(), msgs: serverMessages(srv)}
	stopRun()
	wg.Wait()
	streaming.Wait()
	stop()
	res.Series = sampler.Stop()
	drain(ctx, pairs, 15*time.Second)
	return end, ctx.Err()
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
		time.Sleep(100 * time.Millisecond)
	}
}

func fill(res *LiveResult, pairs []pair, relayRec, echoRec *bench.Recorder) {
	res.acked = map[string]int64{}
	for _, pr := range pairs {
		res.Commands += pr.t.C.Commands.Load()
		res.CommandsRefused += pr.t.C.Refused.Load()
		res.SamplesSent += pr.p.C.SamplesSent.Load()
		res.SamplesAcked += pr.p.C.SamplesAcked.Load()
		res.BatchesSent += pr.p.C.BatchesSent.Load()
		res.BatchesAcked += pr.p.C.BatchesAcked.Load()
		res.ServerErrors += pr.p.C.ServerErrors.Load() + pr.t.C.ServerErrors.Load()
		res.LinkLostAlerts += pr.t.C.LinkLost.Load()
		res.Resumes += pr.t.C.Resumes.Load()
		for code, n := range pr.p.ErrorCodes() {
			if res.ServerErrorCodes == nil {
				res.ServerErrorCodes = map[string]int{}
			}
			res.ServerErrorCodes[code] += n
		}
		res.acked[pr.p.SessionID()] = pr.p.C.SamplesAcked.Load()
	}
	r, e := relayRec.Summary(), echoRec.Summary()
	res.CommandsRelayed = r.Count
	res.RelayP50us, res.RelayP90us, res.RelayP99us, res.RelayMaxUs = r.P50, r.P90, r.P99, r.Max
	res.EchoCount, res.EchoP50us, res.EchoP99us = e.Count, e.P50, e.P99
	res.RelayOverEchoP99 = bench.Ratio(r.P99, e.P99)
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

// persisted opens the SQLite file read-only after the server stopped and
// sums the samples of every session's chunks.
func persisted(ctx context.Context, dir string) (map[string]int64, error) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "haven.db")+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return nil, fmt.Errorf("scenario: opening the store read-only: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT session_id, SUM(n) FROM sample_chunks GROUP BY session_id")
	if err != nil {
		return nil, fmt.Errorf("scenario: counting samples: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("scenario: counting samples: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}
