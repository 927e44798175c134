package circlebench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// FuzzMembersSpec feeds arbitrary first lines to the members process: a
// spec that does not decode, lacks what the load needs or points off the
// machine is an error before any peer is dialled — never a panic, never a
// request anywhere but loopback — and the error is also the last line on
// stdout, for the server side.
func FuzzMembersSpec(f *testing.F) {
	f.Add(`{"base":"http://127.0.0.1:1","code":"X","members":2,"speakers":1,"duration":1}`)
	f.Add(`{"base":"http://example.com:80","code":"X","members":3,"speakers":1,"duration":1000000}`)
	f.Add(`{"base":"http://127.0.0.1:9","code":"","members":1,"speakers":2,"duration":-5}`)
	f.Add(`not json`)
	f.Add(`{"members":1e12}`)
	f.Fuzz(func(t *testing.T, line string) {
		line = strings.ReplaceAll(line, "\n", " ")
		var out bytes.Buffer
		// a valid spec pointing at a loopback port nobody serves fails at the join
		err := RunMembersProcess(context.Background(), strings.NewReader(line+"\n"), &out, io.Discard)
		if err == nil {
			t.Fatalf("spec %q accepted without a server to join", line)
		}
		var ev membersEvent
		if json.Unmarshal(bytes.TrimSpace(out.Bytes()), &ev) != nil || ev.Event != "error" || ev.Error == "" {
			t.Fatalf("spec %q: stdout %q, want one error event", line, out.String())
		}
	})
}
