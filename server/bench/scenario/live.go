package scenario

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
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
	// CPUProfile, when set, receives a pprof CPU profile of the load phase
	// (of the server process alone with FleetProcess).
	CPUProfile io.Writer
	// FleetProcess runs the simulated consoles and headsets in a child
	// process (`haven bench fleet`), so the server's own figures can be read.
	FleetProcess bool
	// NoPin leaves both processes free to run on any CPU (FleetProcess pins
	// the server and the fleet to a core each when two are allowed).
	NoPin bool
	// NoBareRelay leaves out the bare pion relay.
	NoBareRelay bool
	// PoseHz is each headset's head-pose rate on the pose channel (0: none).
	PoseHz int
	// SignalsBatch is the server's --signals-batch: the biosignal batch
	// cadence its hello hands the headsets (0: the default, 250 ms).
	SignalsBatch time.Duration
	// FleetCommand makes the child process (nil: this executable's
	// `bench fleet`; tests re-execute their own binary).
	FleetCommand func(args []string) *exec.Cmd
	// Voice, when set, adds two-way voice to every pair (haven bench voice;
	// in this process only).
	Voice *VoiceLoad
	// Nodes > 1 runs the load against that many `haven serve` processes
	// sharing PostgreSQL and NATS (the fleet stays in this process).
	Nodes int
	// NodeCommand makes a node's `haven serve ARGS…` process (nil: this
	// executable; tests re-execute their own binary).
	NodeCommand func(args []string) *exec.Cmd
}

// LiveResult is the one JSON object `haven bench live` prints.
type LiveResult struct {
	Sessions         int     `json:"sessions"`
	Peers            int     `json:"peers"`
	FleetProcess     bool    `json:"fleet_process"`
	Pinning          string  `json:"pinning,omitempty"`
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
	// The bare pion relay: the same message size and rate as the echo,
	// client → minimal server peer → client (bench.BareRelay).
	BareRelayCount   int     `json:"bare_relay_count"`
	BareRelayP50us   float64 `json:"bare_relay_p50_us"`
	BareRelayP99us   float64 `json:"bare_relay_p99_us"`
	RelayOverBareP50 float64 `json:"relay_over_bare_p50"`
	// Head poses (--pose-hz): frames the headsets sent, frames the consoles
	// got relayed, and each session's pose payload (frame bytes, before
	// SCTP/DTLS/UDP overhead) in kbit/s at PoseHz.
	PoseHz             int     `json:"pose_hz"`
	SignalsBatchMs     int64   `json:"signals_batch_ms"`
	PosesSent          int64   `json:"poses_sent"`
	PosesRelayed       int64   `json:"poses_relayed"`
	PoseKbitPerSession float64 `json:"pose_kbit_s_per_session"`
	SamplesSent        int64   `json:"samples_sent"`
	SamplesAcked       int64   `json:"samples_acked"`
	SamplesPersisted   int64   `json:"samples_persisted"`
	SamplesLost        int64   `json:"samples_lost"`
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
	ServerMsgsPerS float64 `json:"server_msgs_per_s"`
	Resumes        int64   `json:"resumes"`
	// Whole benchmark (both processes with FleetProcess).
	RSSMB            float64 `json:"rss_mb"`
	HeapPerSessionKB float64 `json:"heap_per_session_kb"`
	Goroutines       int     `json:"goroutines"`
	CPUs             float64 `json:"cpu_s"`
	CPUCores         float64 `json:"cpu_cores"`
	// The server process alone (FleetProcess only): it also runs the bare
	// relay's one server-side pair.
	ServerCPUs             float64 `json:"server_cpu_s,omitempty"`
	ServerCPUCores         float64 `json:"server_cpu_cores,omitempty"`
	ServerRSSMB            float64 `json:"server_rss_mb,omitempty"`
	ServerHeapPerSessionKB float64 `json:"server_heap_per_session_kb,omitempty"`
	ServerGoroutines       int     `json:"server_goroutines,omitempty"`
	FleetCPUCores          float64 `json:"fleet_cpu_cores,omitempty"`
	FleetRSSMB             float64 `json:"fleet_rss_mb,omitempty"`
	LoadAvg1               float64 `json:"load_avg_1m"`
	// LoadAvg1Start is the 1-minute load average when the load began.
	LoadAvg1Start float64       `json:"load_avg_1m_start"`
	Series        []bench.Point `json:"series,omitempty"`
	// With --nodes: how many nodes, how many sessions each one owned when
	// the load started (its leases), and each node process's CPU cores over
	// the load window and resident memory at its end.
	Nodes           int   `json:"nodes,omitempty"`
	SessionsPerNode []int `json:"sessions_per_node,omitempty"`
	// SessionsPerNodeEnd is the same count when the load ended: fewer
	// when nodes lost leases (LeasesLost) and rooms were still moving.
	SessionsPerNodeEnd []int     `json:"sessions_per_node_end,omitempty"`
	LeasesLost         []int     `json:"leases_lost,omitempty"`
	NodeCPUCores       []float64 `json:"node_cpu_cores,omitempty"`
	NodeRSSMB          []float64 `json:"node_rss_mb,omitempty"`
	// Errors are failures after the load ran (e.g. a shutdown that overran
	// its budget): the figures above are still printed, the exit code is 1.
	Errors []string `json:"errors,omitempty"`
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
	if o.FleetCommand == nil {
		o.FleetCommand = func(args []string) *exec.Cmd {
			exe, err := os.Executable()
			if err != nil {
				exe = os.Args[0]
			}
			return exec.Command(exe, append([]string{"bench", "fleet"}, args...)...)
		}
	}
}

// serverSide measures the server's process around the fleet's phases.
type serverSide struct {
	srv     *inProcess
	o       LiveOptions
	before  bench.Self
	after   bench.Self
	sampler *bench.Sampler
	msgs0   float64
	cpu0    float64
	t0      time.Time
	series  []bench.Point
	end     bench.Self
	endAt   time.Time
	msgsEnd float64
	load0   float64
}

func (s *serverSide) connected(context.Context) error {
	s.after = bench.ReadSelf(true)
	return nil
}

func (s *serverSide) loadStart() {
	if s.o.CPUProfile != nil {
		_ = pprof.StartCPUProfile(s.o.CPUProfile)
	}
	s.sampler = bench.StartSampler(context.Background(), s.o.SampleEvery)
	s.load0 = bench.LoadAvg()
	s.msgs0, s.cpu0, s.t0 = serverMessages(s.srv), bench.SelfCPU(), time.Now()
}

func (s *serverSide) loadEnd() {
	s.end, s.endAt, s.msgsEnd = bench.ReadSelf(false), time.Now(), serverMessages(s.srv)
	if s.o.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	s.series = s.sampler.Stop()
}

// Live runs the live-session benchmark: a server on loopback in this
// process, N therapist/patient pairs of real pion peers through the real
// API and signalling (in this process, or in a child with FleetProcess),
// biosignals at realistic rates, one command per therapist per interval,
// and two floors at the same aggregate rate: a bare echo pair and a bare
// pion relay.
func Live(ctx context.Context, o LiveOptions) (LiveResult, error) {
	o.defaults()
	if o.Nodes > 1 {
		return liveNodes(ctx, o)
	}
	res := LiveResult{Sessions: o.Sessions, Peers: 2 * o.Sessions, FleetProcess: o.FleetProcess, PoseHz: o.PoseHz,
		SignalsBatchMs: max(o.SignalsBatch, wire.MinBatch).Milliseconds()}
	fleetCPU := -1
	if o.FleetProcess {
		var unpin func()
		res.Pinning, fleetCPU, unpin = pin(o.NoPin)
		defer unpin()
	}
	dir, err := os.MkdirTemp("", "haven-bench-live-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	srv, err := startInProcess(ctx, dir, o.Sync, o.SignalsBatch, o.Logger)
	if err != nil {
		return res, err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = srv.Close()
		}
	}()
	client, creds, err := createSessions(ctx, srv, o.Sessions, 16, nil)
	if err != nil {
		return res, err
	}
	spec, closeRelay, err := fleetSpec(o, srv.Base, client, creds)
	if err != nil {
		return res, err
	}
	defer closeRelay()

	side := &serverSide{srv: srv, o: o, before: bench.ReadSelf(true)}
	hooks := fleetHooks{connected: side.connected, loadStart: side.loadStart, loadEnd: side.loadEnd, voice: o.Voice}
	if o.Voice != nil {
		if o.FleetProcess {
			return res, fmt.Errorf("scenario: voice runs with the fleet in this process")
		}
		o.Voice.observe(srv)
	}
	var fr FleetResult
	if o.FleetProcess {
		fr, err = runFleetChild(ctx, o, spec, fleetCPU, hooks)
	} else {
		fr, err = runFleet(ctx, spec, o.Progress, hooks)
	}
	res.Series = side.series
	if err != nil {
		return res, err
	}

	window := side.endAt.Sub(side.t0).Seconds()
	serverCPU := side.end.CPUSeconds - side.cpu0
	serverHeap := float64(int64(side.after.HeapInuse) - int64(side.before.HeapInuse))
	res.SetupS, res.DurationS, res.LoadAvg1Start = fr.SetupS, fr.LoadDurationS, bench.Round(side.load0, 2)
	res.ServerMsgsPerS = bench.Round((side.msgsEnd-side.msgs0)/window, 0)
	if o.FleetProcess {
		res.ServerCPUs = bench.Round(serverCPU, 2)
		res.ServerCPUCores = bench.Round(serverCPU/window, 2)
		res.ServerRSSMB, res.ServerGoroutines = bench.MB(side.end.RSSBytes), side.end.Goroutines
		res.ServerHeapPerSessionKB = bench.Round(serverHeap/1024/float64(max(1, o.Sessions)), 1)
		res.FleetCPUCores = bench.Round(fr.CPUs/window, 2)
		res.FleetRSSMB = bench.MB(fr.RSSBytes)
		res.CPUs = bench.Round(serverCPU+fr.CPUs, 2)
		res.RSSMB = bench.MB(side.end.RSSBytes + fr.RSSBytes)
		res.Goroutines = side.end.Goroutines + fr.Goroutines
		res.HeapPerSessionKB = bench.Round((serverHeap+float64(fr.HeapGrowth))/1024/float64(max(1, o.Sessions)), 1)
	} else {
		// One process: the server's figures include the fleet's.
		res.CPUs = bench.Round(serverCPU, 2)
		res.RSSMB, res.Goroutines = bench.MB(side.end.RSSBytes), side.end.Goroutines
		res.HeapPerSessionKB = bench.Round(serverHeap/1024/float64(max(1, o.Sessions)), 1)
	}
	res.CPUCores = bench.Round(res.CPUs/window, 2)
	res.LoadAvg1 = bench.LoadAvg()
	fillLive(&res, fr)

	stopped = true
	if err := srv.Close(); err != nil {
		res.Errors = append(res.Errors, err.Error())
	}
	// WAL readers don't block a server still flushing, so this works even
	// when the graceful stop overran its budget.
	perSession, err := persisted(ctx, dir)
	if err != nil {
		res.Errors = append(res.Errors, err.Error())
	}
	fillLoss(&res, fr, perSession)
	return res, nil
}

// fleetSpec describes the load for the fleet: the therapist's credentials
// as base's cookies, and the bare pion relay floor unless left out
// (closeRelay stops it).
func fleetSpec(o LiveOptions, base string, client *fleet.Client, creds []sessionCreds) (spec FleetSpec, closeRelay func(), err error) {
	spec = FleetSpec{Base: base, CSRF: client.CSRF, Sessions: creds, CommandEvery: o.CommandEvery,
		Duration: o.Duration, Parallel: o.Parallel, ProgressEvery: o.ProgressEvery, PoseHz: o.PoseHz}
	if u, err := url.Parse(base); err == nil {
		var cookies []string
		for _, c := range client.HTTP.Jar.Cookies(u) {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
		spec.Cookie = strings.Join(cookies, "; ")
	}
	closeRelay = func() {}
	if o.NoBareRelay {
		return spec, closeRelay, nil
	}
	eng, err := rtc.NewEngine(rtc.Options{LoopbackOnly: true})
	if err != nil {
		return spec, closeRelay, err
	}
	relay, err := bench.StartBareRelay(eng)
	if err != nil {
		_ = eng.Close()
		return spec, closeRelay, err
	}
	spec.BareRelay = relay.URL()
	return spec, func() { _ = relay.Close(); _ = eng.Close() }, nil
}

// fillLoss compares what the headsets had acknowledged with what the store
// holds per session.
func fillLoss(res *LiveResult, fr FleetResult, perSession map[string]int64) {
	for _, n := range perSession {
		res.SamplesPersisted += n
	}
	res.UnackedAtEnd, res.AckedNotPersisted = fr.UnackedSamples, ackedNotPersisted(fr.Acked, perSession)
	res.SamplesLost = res.UnackedAtEnd + res.AckedNotPersisted
}

// pin puts this (the server's) process on the first allowed CPU and names
// the second for the fleet, when two or more are allowed.
// unpin restores the process's mask afterwards.
func pin(off bool) (desc string, fleetCPU int, unpin func()) {
	none := func() {}
	if off {
		return "off (--no-pin)", -1, none
	}
	cpus, err := bench.AllowedCPUs()
	if err != nil || len(cpus) < 2 {
		return fmt.Sprintf("none: %d CPU allowed", len(cpus)), -1, none
	}
	restore, err := bench.PinToCPU(cpus[0])
	if err != nil {
		return "none: " + err.Error(), -1, none
	}
	return fmt.Sprintf("server CPU %d, fleet CPU %d", cpus[0], cpus[1]), cpus[1], restore
}

func fillLive(res *LiveResult, fr FleetResult) {
	res.Commands, res.CommandsRefused = fr.Commands, fr.CommandsRefused
	res.SamplesSent, res.SamplesAcked = fr.SamplesSent, fr.SamplesAcked
	res.PosesSent, res.PosesRelayed = fr.PosesSent, fr.PosesRelayed
	if fr.PosesSent > 0 {
		// the mean frame at the configured rate: set-up time does not dilute it
		res.PoseKbitPerSession = bench.Round(float64(fr.PoseBytes)/float64(fr.PosesSent)*float64(res.PoseHz)*8/1000, 2)
	}
	res.BatchesSent, res.BatchesAcked = fr.BatchesSent, fr.BatchesAcked
	res.ServerErrors, res.ServerErrorCodes = fr.ServerErrors, fr.ErrorCodes
	res.LinkLostAlerts, res.Resumes = fr.LinkLost, fr.Resumes
	r, e, b := bench.Summarize(fr.Relay), bench.Summarize(fr.Echo), bench.Summarize(fr.Bare)
	res.CommandsRelayed = r.Count
	res.RelayP50us, res.RelayP90us, res.RelayP99us, res.RelayMaxUs = r.P50, r.P90, r.P99, r.Max
	res.EchoCount, res.EchoRatePerS, res.EchoP50us, res.EchoP99us = e.Count, fr.EchoRatePerS, e.P50, e.P99
	res.RelayOverEchoP99 = bench.Ratio(r.P99, e.P99)
	res.BareRelayCount, res.BareRelayP50us, res.BareRelayP99us = b.Count, b.P50, b.P99
	res.RelayOverBareP50 = bench.Ratio(r.P50, b.P50)
}

// ackedNotPersisted is Σ over sessions of acknowledged samples missing from the store.
func ackedNotPersisted(acked, persistedBySession map[string]int64) int64 {
	var lost int64
	for id, n := range acked {
		if d := n - persistedBySession[id]; d > 0 {
			lost += d
		}
	}
	return lost
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

// persisted opens the SQLite file read-only after the server stopped and
// sums the samples of every session's chunks.
func persisted(ctx context.Context, dir string) (map[string]int64, error) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "haven.db")+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return nil, fmt.Errorf("scenario: opening the store read-only: %w", err)
	}
	defer db.Close()
	return persistedIn(ctx, db)
}

// persistedIn sums the samples of every session's chunks in db (SQLite or
// PostgreSQL).
func persistedIn(ctx context.Context, db *sql.DB) (map[string]int64, error) {
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
