package scenario

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// FuzzFleetSpec feeds arbitrary first lines to the fleet process: a spec
// that does not decode or lacks what the load needs is an error before any
// peer is dialled, never a panic.
func FuzzFleetSpec(f *testing.F) {
	f.Add(`{"base":"http://127.0.0.1:1","sessions":[],"duration":1}`)
	f.Add(`{"base":"","sessions":[{"id":"a","token":"b"}],"duration":-5,"command_every":0}`)
	f.Add(`not json`)
	f.Add(`{"sessions":null}`)
	f.Fuzz(func(t *testing.T, line string) {
		line = strings.ReplaceAll(line, "\n", " ")
		var out bytes.Buffer
		err := RunFleetProcess(context.Background(), -1, strings.NewReader(line+"\n"), &out, io.Discard)
		if err == nil {
			t.Fatalf("spec %q accepted without a server to drive", line)
		}
	})
}
