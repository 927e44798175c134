package notify

import (
	"strings"
	"testing"
)

// ReadStream follows the WHATWG HTML server-sent events format
// (html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
// a line "id: X" moves the last event id even without data; "data" lines
// join with "\n"; a blank line dispatches; lines starting with ":" are
// comments; an event whose data does not decode is skipped.
func TestReadStream(t *testing.T) {
	in := "retry: 1000\nid: cursor\n\n" +
		": a comment\n" +
		"id: e1\nevent: alert\ndata: {\"id\":\"e1\",\"kind\":\"alert\",\"clinic_id\":\"c\",\"code\":\"link_lost\",\"at\":1}\n\n" +
		"id: e2\nevent: alert\ndata: {\"id\":\"e2\",\ndata: \"kind\":\"session\",\"clinic_id\":\"c\",\"at\":2}\n\n" +
		"id: e3\ndata: not json\n\n" +
		"event: resync\ndata: {\"kind\":\"resync\",\"clinic_id\":\"c\",\"at\":3}\n\n"
	var got []Event
	last, err := ReadStream(strings.NewReader(in), "before", func(ev Event) { got = append(got, ev) })
	if err != nil {
		t.Fatal(err)
	}
	if last != "e3" {
		t.Errorf("last id %q, want e3", last)
	}
	if len(got) != 3 || got[0].Code != "link_lost" || got[1].Kind != KindSession || got[2].Kind != KindResync {
		t.Fatalf("events %+v", got)
	}
	// A quiet stream still moves the cursor.
	if last, _ := ReadStream(strings.NewReader("retry: 1000\nid: cursor\n\n"), "", func(Event) {}); last != "cursor" {
		t.Errorf("quiet stream: last id %q, want cursor", last)
	}
}

func FuzzReadStream(f *testing.F) {
	f.Add("id: e1\nevent: alert\ndata: {\"id\":\"e1\",\"kind\":\"alert\",\"clinic_id\":\"c\",\"at\":1}\n\n")
	f.Add("retry: 1000\nid: x\n\n:\n\ndata:\ndata\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ReadStream(strings.NewReader(s), "", func(ev Event) {
			if ev.Kind == "" || ev.ClinicID == "" {
				t.Fatalf("delivered an incomplete event %+v", ev)
			}
		})
	})
}
