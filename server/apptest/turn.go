package apptest

import (
	"net"
	"net/url"
	"testing"

	"github.com/pion/turn/v5"

	"github.com/havenvr/haven/server/store"
)

// TURN is a TURN server (RFC 8656, pion/turn) on a loopback UDP port with
// one long-term credential; it allocates its relays on loopback.
type TURN struct {
	URL        string // turn:127.0.0.1:PORT?transport=udp
	User, Pass string
}

// Flag is the server's --ice-server entry for it, credential included.
func (s TURN) Flag() string {
	return s.URL + "&username=" + url.QueryEscape(s.User) + "&credential=" + url.QueryEscape(s.Pass)
}

// StartTURN runs a TURN server for t, closed when t ends.
func StartTURN(t testing.TB) TURN {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const realm = "haven.test"
	user, pass := "headset", store.RandomToken(8)
	key := turn.GenerateAuthKey(user, realm, pass)
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm: realm,
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			return ra.Username, key, ra.Username == user
		},
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: conn,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{RelayAddress: net.IPv4(127, 0, 0, 1), Address: "127.0.0.1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return TURN{URL: "turn:" + conn.LocalAddr().String() + "?transport=udp", User: user, Pass: pass}
}
