package scenario

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/havenvr/haven/server/bench"
)

// The fleet process speaks to `haven bench live --fleet-process` in JSON
// lines: the spec arrives as the first line of its stdin, then one "go"
// line once the server has measured itself after set-up; its stdout
// carries the phase events and, last, the result. Progress goes to stderr.
type fleetEvent struct {
	Event  string       `json:"event"` // connected, load_start, load_end, result, error
	Error  string       `json:"error,omitempty"`
	Result *FleetResult `json:"result,omitempty"`
}

// RunFleetProcess is `haven bench fleet`: the load of `haven bench live`
// in a process of its own, pinned to cpu when cpu ≥ 0.
func RunFleetProcess(ctx context.Context, cpu int, stdin io.Reader, stdout, progress io.Writer) error {
	if cpu >= 0 {
		restore, err := bench.PinToCPU(cpu)
		if err != nil {
			return err
		}
		defer restore()
	}
	in := bufio.NewReader(stdin)
	line, err := in.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("scenario: reading the fleet spec from stdin: %w", err)
	}
	var spec FleetSpec
	if err := json.Unmarshal(line, &spec); err != nil {
		return fmt.Errorf("scenario: fleet spec: %w", err)
	}
	if err := spec.validate(); err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	emit := func(ev string) { _ = enc.Encode(fleetEvent{Event: ev}) }
	res, err := runFleet(ctx, spec, progress, fleetHooks{
		connected: func(ctx context.Context) error {
			emit("connected")
			// Wait for the server side's "go" (it has measured its heap).
			if _, err := in.ReadBytes('\n'); err != nil {
				return fmt.Errorf("scenario: waiting for go: %w", err)
			}
			return ctx.Err()
		},
		loadStart: func() { emit("load_start") },
		loadEnd:   func() { emit("load_end") },
	})
	if err != nil {
		_ = enc.Encode(fleetEvent{Event: "error", Error: err.Error()})
		return err
	}
	return enc.Encode(fleetEvent{Event: "result", Result: &res})
}

func (s FleetSpec) validate() error {
	switch {
	case s.Base == "" || len(s.Sessions) == 0:
		return errors.New("scenario: fleet spec needs base and sessions")
	case s.Duration <= 0 || s.CommandEvery <= 0 || s.Parallel <= 0 || s.ProgressEvery <= 0:
		return errors.New("scenario: fleet spec needs positive duration, command_every, parallel and progress_every")
	}
	return nil
}

// runFleetChild starts the fleet process, hands it the spec and relays its
// phase events to the server side's hooks.
func runFleetChild(ctx context.Context, o LiveOptions, spec FleetSpec, cpu int, h fleetHooks) (FleetResult, error) {
	cmd := o.FleetCommand([]string{"--cpu", strconv.Itoa(cpu)})
	cmd.Stderr = o.Progress
	var res FleetResult
	err := bench.RunChild(ctx, cmd, "the fleet process", func(stdin io.Writer, stdout io.Reader) (err error) {
		res, err = talkToFleet(ctx, spec, stdin, stdout, h)
		return err
	})
	return res, err
}

func talkToFleet(ctx context.Context, spec FleetSpec, stdin io.Writer, stdout io.Reader, h fleetHooks) (FleetResult, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return FleetResult{}, err
	}
	if _, err := stdin.Write(append(b, '\n')); err != nil {
		return FleetResult{}, fmt.Errorf("scenario: sending the fleet spec: %w", err)
	}
	dec := json.NewDecoder(stdout)
	for {
		var ev fleetEvent
		if err := dec.Decode(&ev); err != nil {
			return FleetResult{}, fmt.Errorf("scenario: fleet process ended without a result: %w", err)
		}
		switch ev.Event {
		case "connected":
			if err := h.connected(ctx); err != nil {
				return FleetResult{}, err
			}
			if _, err := io.WriteString(stdin, "go\n"); err != nil {
				return FleetResult{}, fmt.Errorf("scenario: starting the fleet's load: %w", err)
			}
		case "load_start":
			h.loadStart()
		case "load_end":
			h.loadEnd()
		case "result":
			if ev.Result == nil {
				return FleetResult{}, errors.New("scenario: fleet result missing")
			}
			return *ev.Result, nil
		case "error":
			return FleetResult{}, fmt.Errorf("scenario: fleet process: %s", ev.Error)
		}
	}
}
