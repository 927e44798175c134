package cluster_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/cluster/natstest"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/store/pgtest"
	"github.com/havenvr/haven/server/wire"
)

// TestHAProxyConfig runs docs/deploy-cluster/haproxy.cfg in front of three
// nodes, its addresses moved to loopback: the headset joins and connects
// through it, and consoles dialled through it reach the room whichever
// node HAProxy picks (non-owners forward the signalling to the owner); a
// support room's moderator and members, spread over the nodes, meet in
// the room's one owner.
func TestHAProxyConfig(t *testing.T) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		bin = "/usr/sbin/haproxy"
		if _, err := os.Stat(bin); err != nil {
			t.Skip("HAProxy is not installed (scripts/install-deps.sh installs Debian's haproxy)")
		}
	}
	dsn := pgtest.NewDatabase(t)
	ns, err := natstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nodes := []*apptest.Server{node(t, "n1", dsn, ns.URL(), 15*time.Second), node(t, "n2", dsn, ns.URL(), 15*time.Second), node(t, "n3", dsn, ns.URL(), 15*time.Second)}

	cfg, err := os.ReadFile("../../docs/deploy-cluster/haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lbAddr := ln.Addr().String()
	ln.Close()
	text := strings.Replace(string(cfg), "bind 10.0.0.10:80", "bind "+lbAddr, 1)
	for i, n := range nodes {
		text = strings.ReplaceAll(text, "10.0.0.1"+strconv.Itoa(i+1)+":8080", strings.TrimPrefix(n.URL, "http://"))
	}
	if regexp.MustCompile(`10\.0\.0\.`).MatchString(text) {
		t.Fatalf("an address of the documented config was not moved to loopback:\n%s", text)
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-f", path, "-db")
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lb := "http://" + lbAddr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(lb + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("HAProxy at %s never answered /readyz: %v", lb, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// An unknown room code is the node's 404, not HAProxy's 503.
	resp, err := http.Get(lb + "/api/groups/join/ABCDEFGH")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("support-room lookup through HAProxy: %d, want the node's 404", resp.StatusCode)
	}

	clinic := nodes[0].NewClinic(t, "Clinic")
	th := nodes[0].SignIn(t, clinic.ID, store.RoleTherapist) // its cookie is the clinic's on every node
	jc := joinCode(t, th)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sid, tok, err := simpeer.Join(ctx, http.DefaultClient, lb, jc)
	if err != nil {
		t.Fatalf("join through HAProxy: %v", err)
	}
	p := simpeer.NewPatient(simpeer.PatientOptions{BaseURL: lb, SessionID: sid, Token: tok, Seed: 9})
	if err := p.Connect(ctx); err != nil {
		t.Fatalf("headset through HAProxy: %v", err)
	}
	p.Start()
	t.Cleanup(p.Close)
	// Round robin sends the three consoles to three different nodes.
	for i := range 3 {
		h := http.Header{}
		h.Set("X-CSRF-Token", th.CSRF)
		c, err := simpeer.DialTherapist(ctx, simpeer.TherapistOptions{URL: lb + "/api/sessions/" + sid + "/console/whip", Header: h, HTTP: th.HTTP})
		if err != nil {
			t.Fatalf("console %d through HAProxy: %v", i, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if _, err := c.Wait(ctx, func(r simpeer.Received) bool {
			s, ok := r.Body.(*wire.SessionState)
			return ok && s.State == store.LiveLive && s.Patient
		}); err != nil {
			t.Fatalf("console %d never saw the live session: %v", i, err)
		}
	}

	// A support room: its moderator and three members, each request to the
	// next node in turn, meet in the room's one owner.
	mod := nodes[0].SignIn(t, clinic.ID, store.RoleModerator)
	room := createRoom(t, mod)
	modPeer := dialModerator(t, mod, lb, room.ID)
	for i := range 3 {
		m := dialMember(t, lb, room.ID, joinRoom(t, lb, room.Code))
		text := fmt.Sprintf("member %d through HAProxy", i)
		m.send(t, "chat.send", map[string]any{"text": text})
		modPeer.expectText(t, "chat.msg", text)
	}
	held := 0
	for _, n := range nodes {
		if n.App.Groups.Loaded(room.ID) {
			held++
		}
	}
	if held != 1 {
		t.Fatalf("%d nodes hold the support room in memory, want 1", held)
	}
}
