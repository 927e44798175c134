package circlebench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/inproc"
	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/store"
)

// With Options.MembersCommand the M members run in a process of their own
// (`haven bench circle-members`), so that cpu_cores is the server's alone
// and the members' CPU is reported beside it. The two speak in JSON lines:
// the spec is the first line of the child's stdin; the child answers
// "connected", waits for "go", announces "load_start" and "load_end"
// around the measured window, is told how many packets the server
// forwarded ("forwarded N", so it can wait for the last of them) and ends
// with its result.

// MembersSpec is what the members process is told.
type MembersSpec struct {
	Base     string        `json:"base"`
	Code     string        `json:"code"`
	Members  int           `json:"members"`
	Speakers int           `json:"speakers"`
	Duration time.Duration `json:"duration"`
}

// maxMembers bounds a members process (the large meeting is 100).
const maxMembers = 2000

// validate checks a spec before any peer is dialled: the server must be on
// loopback (the benchmark never leaves the machine).
func (s MembersSpec) validate() error {
	u, err := url.Parse(s.Base)
	if err != nil || u.Scheme != "http" || u.Port() == "" || net.ParseIP(u.Hostname()) == nil || !net.ParseIP(u.Hostname()).IsLoopback() {
		return errors.New("circlebench: members spec: base must be http://<loopback address>:<port>")
	}
	if s.Code == "" || s.Members < 2 || s.Members > maxMembers || s.Speakers < 1 || s.Speakers > s.Members || s.Duration <= 0 || s.Duration > time.Hour {
		return fmt.Errorf("circlebench: members spec needs a code, 2 ≤ members ≤ %d, 1 ≤ speakers ≤ members, 0 < duration ≤ 1 h", maxMembers)
	}
	return nil
}

// MembersResult is what the members process measured.
type MembersResult struct {
	Sent     int64   `json:"sent"`
	Received int64   `json:"received"` // in the measured window and its drain
	Bytes    int64   `json:"bytes"`    // likewise
	Poses    int64   `json:"poses"`    // members' poses received, likewise
	Lost     int64   `json:"lost"`     // every slot's sequence span minus what arrived, the whole run
	Streams  int     `json:"streams"`
	WallS    float64 `json:"wall_s"`
	CPUCores float64 `json:"cpu_cores"`
	RSSMB    float64 `json:"rss_mb"`
	SetupS   float64 `json:"setup_s"`
}

type membersEvent struct {
	Event  string         `json:"event"` // connected, load_start, load_end, result, error
	Error  string         `json:"error,omitempty"`
	Result *MembersResult `json:"result,omitempty"`
}

// RunMembersProcess is `haven bench circle-members`: the members' side,
// spec on stdin, events and result on stdout, progress on progress.
func RunMembersProcess(ctx context.Context, stdin io.Reader, stdout, progress io.Writer) error {
	in := bufio.NewReader(stdin)
	enc := json.NewEncoder(stdout)
	fail := func(err error) error {
		_ = enc.Encode(membersEvent{Event: "error", Error: err.Error()})
		return err
	}
	line, err := in.ReadBytes('\n')
	if err != nil {
		return fail(fmt.Errorf("circlebench: reading the members spec: %w", err))
	}
	var spec MembersSpec
	if err := json.Unmarshal(line, &spec); err != nil {
		return fail(fmt.Errorf("circlebench: members spec: %w", err))
	}
	if err := spec.validate(); err != nil {
		return fail(err)
	}
	say := func(format string, args ...any) { fmt.Fprintf(progress, "bench circle members: "+format+"\n", args...) }
	setup := time.Now()
	ms, err := connect(ctx, spec.Base, spec.Code, spec.Members, say)
	defer closeAll(ms)
	if err != nil {
		return fail(err)
	}
	res := MembersResult{SetupS: bench.Round(time.Since(setup).Seconds(), 2)}
	_ = enc.Encode(membersEvent{Event: "connected"})
	if _, err := in.ReadBytes('\n'); err != nil {
		return fail(fmt.Errorf("circlebench: waiting for go: %w", err))
	}
	received0, bytes0 := totals(ms)
	poses0 := poseTotal(ms)
	cpu0, _ := bench.ReadProc(os.Getpid())
	_ = enc.Encode(membersEvent{Event: "load_start"})
	start := time.Now()
	res.Sent, res.Streams = drive(ctx, ms, Options{Speakers: spec.Speakers, Duration: spec.Duration})
	wall := time.Since(start)
	proc, _ := bench.ReadProc(os.Getpid())
	_ = enc.Encode(membersEvent{Event: "load_end"})
	line, err = in.ReadBytes('\n')
	forwarded, perr := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(string(line)), "forwarded "), 10, 64)
	if err != nil || perr != nil {
		return fail(fmt.Errorf("circlebench: waiting for the forwarded count: %w", errors.Join(err, perr)))
	}
	// what the server wrote in the last moments is still on its way
	deadline := time.Now().Add(3 * time.Second)
	for {
		r, b := totals(ms)
		res.Received, res.Bytes, res.Poses = r-received0, b-bytes0, poseTotal(ms)-poses0
		if res.Received >= forwarded || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	total, _ := totals(ms)
	res.Lost = expected(ms) - total
	res.WallS = wall.Seconds()
	res.CPUCores = bench.Round((proc.CPUSeconds-cpu0.CPUSeconds)/wall.Seconds(), 2)
	res.RSSMB = bench.Round(float64(proc.RSSBytes)/(1<<20), 1)
	return enc.Encode(membersEvent{Event: "result", Result: &res})
}

func closeAll(ms []*Member) {
	for _, m := range ms {
		if m != nil {
			_ = m.Close()
		}
	}
}

// runSplit is Run with the members in the process opts.MembersCommand
// starts: this process is the server alone.
func runSplit(ctx context.Context, opts Options, srv *inproc.Server, room store.GroupRoom, progress func(string, ...any)) (Result, error) {
	cmd := opts.MembersCommand()
	cmd.Stderr = opts.Progress
	var res Result
	err := bench.RunChild(ctx, cmd, "the members process", func(stdin io.Writer, stdout io.Reader) (err error) {
		res, err = talkToMembers(ctx, opts, srv, room, stdin, stdout, progress)
		return err
	})
	return res, err
}

func talkToMembers(ctx context.Context, opts Options, srv *inproc.Server, room store.GroupRoom, stdin io.Writer, stdout io.Reader, progress func(string, ...any)) (Result, error) {
	spec, _ := json.Marshal(MembersSpec{Base: srv.Base, Code: room.Code, Members: opts.Members, Speakers: opts.Speakers, Duration: opts.Duration})
	if _, err := stdin.Write(append(spec, '\n')); err != nil {
		return Result{}, fmt.Errorf("circlebench: sending the members spec: %w", err)
	}
	var rec bench.Recorder
	var forwarded, in atomic.Int64
	defer srv.App.Groups.SetForwardHook(nil)
	var cpu0, proc bench.Proc
	var start time.Time
	var wall time.Duration
	dec := json.NewDecoder(stdout)
	for {
		var ev membersEvent
		if err := dec.Decode(&ev); err != nil {
			return Result{}, fmt.Errorf("circlebench: the members process ended without a result: %w", err)
		}
		switch ev.Event {
		case "connected":
			progress("all %d members connected in their own process", opts.Members)
			if err := sleepCtx(ctx, 2*time.Second); err != nil { // presence deltas of the joins drain before timing
				return Result{}, err
			}
			srv.App.Groups.SetForwardHook(func(at, out time.Time, wrote int) {
				in.Add(1)
				rec.Add(out.Sub(at))
				forwarded.Add(int64(wrote))
			})
			if _, err := io.WriteString(stdin, "go\n"); err != nil {
				return Result{}, fmt.Errorf("circlebench: starting the members' load: %w", err)
			}
		case "load_start":
			cpu0, _ = bench.ReadProc(os.Getpid())
			start = time.Now()
		case "load_end":
			proc, _ = bench.ReadProc(os.Getpid())
			wall = time.Since(start)
			settle(&forwarded)
			if _, err := fmt.Fprintf(stdin, "forwarded %d\n", forwarded.Load()); err != nil {
				return Result{}, fmt.Errorf("circlebench: telling the members what was forwarded: %w", err)
			}
		case "result":
			if ev.Result == nil || wall <= 0 {
				return Result{}, errors.New("circlebench: the members' result came without its window")
			}
			m, s := ev.Result, rec.Summary()
			return Result{Members: opts.Members, Speakers: opts.Speakers,
				ForwardP50us: s.P50, ForwardP99us: s.P99, ForwardMaxUs: s.Max, StreamsPerListener: m.Streams,
				PacketsSent: m.Sent, PacketsIn: in.Load(), PacketsForwarded: forwarded.Load(), PacketsReceived: m.Received, PacketsLost: m.Lost,
				CPUCores:           bench.Round((proc.CPUSeconds-cpu0.CPUSeconds)/wall.Seconds(), 2),
				BytesPerMemberPerS: bench.Round(float64(m.Bytes)/float64(opts.Members)/m.WallS, 0),
				PosesPerMemberPerS: bench.Round(float64(m.Poses)/float64(opts.Members)/m.WallS, 0),
				PoseHz:             groups.PoseHz, SetupSeconds: m.SetupS,
				RSSMB: bench.Round(float64(proc.RSSBytes)/(1<<20), 1), Goroutines: runtime.NumGoroutine(),
				MembersProcess: true, MembersCPUCores: m.CPUCores, MembersRSSMB: m.RSSMB}, nil
		case "error":
			return Result{}, fmt.Errorf("circlebench: members process: %s", ev.Error)
		}
	}
}

// settle waits until the forwarded count has stopped moving for 100 ms
// (at most a second): the speakers' last packets reach the server after
// the members announced the end of their load.
func settle(forwarded *atomic.Int64) {
	deadline := time.Now().Add(time.Second)
	for last := int64(-1); time.Now().Before(deadline); {
		n := forwarded.Load()
		if n == last {
			return
		}
		last = n
		time.Sleep(100 * time.Millisecond)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// MembersCommand re-executes this binary as `haven bench circle-members`.
func MembersCommand() *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, "bench", "circle-members")
}

// lockedWriter serializes writes: the members process's stderr is copied
// into the progress writer by os/exec's goroutine while this process
// writes its own lines there too.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
