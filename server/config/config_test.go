package config

import (
	"io"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    func(Config) bool
		wantErr bool
	}{
		{"defaults", nil, nil, func(c Config) bool { return c.Addr == "127.0.0.1:8080" && c.DataDir == "./data" && !c.TLS() }, false},
		{"env applies", nil, map[string]string{"HAVEN_ADDR": "127.0.0.1:9000", "HAVEN_DEMO": "true"},
			func(c Config) bool { return c.Addr == "127.0.0.1:9000" && c.Demo }, false},
		{"flag beats env", []string{"--addr", "127.0.0.1:1"}, map[string]string{"HAVEN_ADDR": "127.0.0.1:2"},
			func(c Config) bool { return c.Addr == "127.0.0.1:1" }, false},
		{"ice servers split", []string{"--ice-server", "stun:a:3478, turn:b:3478?username=u&credential=p"}, nil,
			func(c Config) bool {
				return len(c.ICEServers) == 2 && c.ICEServers[0] == ICEServer{URL: "stun:a:3478"} &&
					c.ICEServers[1] == ICEServer{URL: "turn:b:3478", Username: "u", Credential: "p"}
			}, false},
		{"ice server from env", nil, map[string]string{"HAVEN_ICE_SERVER": "turns:b:5349?transport=tcp&username=u&credential=p"},
			func(c Config) bool {
				return len(c.ICEServers) == 1 && c.ICEServers[0].URL == "turns:b:5349?transport=tcp"
			}, false},
		{"turn without a credential", []string{"--ice-server", "turn:b:3478"}, nil, nil, true},
		{"self-signed is TLS", []string{"--tls-self-signed"}, nil, func(c Config) bool { return c.TLS() }, false},
		{"bad addr", []string{"--addr", "nope"}, nil, nil, true},
		{"cert without key", []string{"--tls-cert", "c.pem"}, nil, nil, true},
		{"bad public ip", []string{"--public-ip", "example"}, nil, nil, true},
		{"bad env bool", nil, map[string]string{"HAVEN_DEMO": "perhaps"}, nil, true},
		{"bad sync", []string{"--sync", "OFF"}, nil, nil, true},
		{"batch cadence default", nil, nil, func(c Config) bool { return c.SignalsBatch.Milliseconds() == 250 }, false},
		{"batch cadence from env", nil, map[string]string{"HAVEN_SIGNALS_BATCH": "1s"}, func(c Config) bool { return c.SignalsBatch.Seconds() == 1 }, false},
		{"batch cadence too long", []string{"--signals-batch", "2s"}, nil, nil, true},
		{"batch cadence too short", []string{"--signals-batch", "100ms"}, nil, nil, true},
		{"stray argument", []string{"extra"}, nil, nil, true},
		{"collector defaults", nil, nil, func(c Config) bool { return c.GC.Percent == 400 && (c.GC.LimitBytes == 0 || c.GC.LimitBytes >= 1<<30) }, false},
		{"collector set", []string{"--gc-percent", "100", "--memory-limit", "off"}, map[string]string{"HAVEN_GC_PERCENT": "800"},
			func(c Config) bool { return c.GC.Percent == 100 && c.GC.LimitBytes == 0 }, false},
		{"memory limit size", nil, map[string]string{"HAVEN_MEMORY_LIMIT": "3GiB"}, func(c Config) bool { return c.GC.LimitBytes == 3<<30 }, false},
		{"bad memory limit", []string{"--memory-limit", "plenty"}, nil, nil, true},
		{"cluster", []string{"--db", "postgres://haven@db/haven", "--nats", "nats://n1:4222, nats://n2:4222", "--node-url", "http://10.0.0.11:8080/"}, nil,
			func(c Config) bool {
				return len(c.NATS) == 2 && c.NATS[1] == "nats://n2:4222" && c.NodeURL == "http://10.0.0.11:8080" && c.LeaseTTL.Seconds() == 15
			}, false},
		{"cluster on sqlite", []string{"--nats", "nats://n1:4222"}, nil, nil, true},
		{"cluster bad nats url", []string{"--db", "postgres://db/haven", "--nats", "http://n1"}, nil, nil, true},
		{"node url without cluster", []string{"--node-url", "http://10.0.0.11:8080"}, nil, nil, true},
		{"lease too short", []string{"--db", "postgres://db/haven", "--nats", "nats://n1:4222", "--lease-ttl", "500ms"}, nil, nil, true},
		{"gc percent too low", []string{"--gc-percent", "5"}, nil, nil, true},
		{"public url", []string{"--public-url", "https://haven.example.org/"}, nil, func(c Config) bool { return c.PublicURL == "https://haven.example.org" }, false},
		{"public url with a path", []string{"--public-url", "https://haven.example.org/x"}, nil, nil, true},
		{"public url without scheme", []string{"--public-url", "haven.example.org"}, nil, nil, true},
		{"trusted proxies", []string{"--trusted-proxy", "10.0.0.0/8, 192.0.2.7,2001:db8::/48"}, nil, func(c Config) bool {
			return len(c.TrustedProxies) == 3 && c.TrustedProxies[1].String() == "192.0.2.7/32" && c.TrustedProxies[2].String() == "2001:db8::/48"
		}, false},
		{"trusted proxy from env", nil, map[string]string{"HAVEN_TRUSTED_PROXY": "127.0.0.1"}, func(c Config) bool { return len(c.TrustedProxies) == 1 }, false},
		{"bad trusted proxy", []string{"--trusted-proxy", "10.0.0.0/33"}, nil, nil, true},
		{"bad trusted proxy name", []string{"--trusted-proxy", "proxy.local"}, nil, nil, true},
		{"metrics options", []string{"--metrics-addr", "127.0.0.1:9090", "--metrics-token", "t"}, nil, func(c Config) bool { return c.MetricsAddr == "127.0.0.1:9090" && c.MetricsToken == "t" }, false},
		{"bad metrics addr", []string{"--metrics-addr", "9090"}, nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && !tc.want(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}
