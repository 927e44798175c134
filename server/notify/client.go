package notify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Follow reads GET /api/events at url with hc (signed in) until ctx ends,
// reconnecting after each stream ends as a browser's EventSource does
// (with Last-Event-ID), and calls got for every event, a resync included.
// opened, if not nil, is called each time a stream's response arrives.
// It returns ctx's error, or the first refusal (a status other than 200).
func Follow(ctx context.Context, hc *http.Client, url string, opened func(), got func(Event)) error {
	last := ""
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "text/event-stream")
		if last != "" {
			req.Header.Set("Last-Event-ID", last)
		}
		resp, err := hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			// A node restarting or a balancer between backends: try again.
			select {
			case <-ctx.Done():
			case <-time.After(retryMs * time.Millisecond):
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			return fmt.Errorf("notify: %s answered %d: %s", url, resp.StatusCode, b)
		}
		if opened != nil {
			opened()
		}
		last, err = ReadStream(resp.Body, last, got)
		resp.Body.Close()
		if err != nil && ctx.Err() == nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
	}
	return ctx.Err()
}

// maxLine bounds one line of a stream (an event is a few hundred bytes).
const maxLine = 64 << 10

// ReadStream reads one text/event-stream (the WHATWG HTML "server-sent
// events" format: fields id, event, data, retry; a blank line dispatches)
// until it ends, calls got for each event whose data decodes, and returns
// the last event id seen (starting from last). An event that does not
// decode is skipped; a line longer than 64 KiB ends the stream with an
// error.
func ReadStream(r io.Reader, last string, got func(Event)) (string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if data.Len() > 0 {
				if ev, err := decode([]byte(data.String()), true); err == nil {
					got(ev)
				}
			}
			data.Reset()
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			if !strings.ContainsRune(value, 0) {
				last = value
			}
		case "data":
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(value)
		}
	}
	return last, sc.Err()
}
