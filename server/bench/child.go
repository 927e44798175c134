package bench

import (
	"context"
	"fmt"
	"io"
	"os/exec"
)

// RunChild runs a benchmark's helper process (the load in a process of its
// own): cmd starts with its stdin and stdout piped, talk speaks to it,
// then its stdin is closed and it is waited for. The child is killed if
// ctx ends first, so it never outlives the benchmark; what names it in
// errors ("the fleet process").
func RunChild(ctx context.Context, cmd *exec.Cmd, what string, talk func(stdin io.Writer, stdout io.Reader) error) error {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("bench: starting %s: %w", what, err)
	}
	stopKill := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	defer stopKill()
	err = talk(stdin, stdout)
	_ = stdin.Close()
	if werr := cmd.Wait(); err == nil && werr != nil {
		err = fmt.Errorf("bench: %s: %w", what, werr)
	}
	return err
}
