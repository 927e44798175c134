// Package metrics holds Haven's Prometheus series (all prefixed haven_) in a
// registry owned by the server instance, never the global default.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the series every part of the server updates.
type Metrics struct {
	Registry        *prometheus.Registry
	HTTPRequests    *prometheus.CounterVec
	HTTPDuration    *prometheus.HistogramVec
	LivePeers       *prometheus.GaugeVec
	LiveSessions    prometheus.Gauge
	SamplesIngested prometheus.Counter
	SamplesArtifact prometheus.Counter
	Messages        *prometheus.CounterVec
	Dropped         *prometheus.CounterVec
}

// New creates the series and registers them with Go and process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haven_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "haven_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9),
		}, []string{"route"}),
		LivePeers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "haven_live_peers", Help: "Connected WebRTC peers by kind (patient, therapist, observer, member).",
		}, []string{"kind"}),
		LiveSessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "haven_live_sessions", Help: "Sessions currently live or paused.",
		}),
		SamplesIngested: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haven_samples_ingested_total", Help: "Biosignal samples durably committed.",
		}),
		SamplesArtifact: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haven_samples_artifact_total", Help: "Biosignal samples flagged as artifacts.",
		}),
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haven_datachannel_messages_total", Help: "Data-channel messages by channel and direction (in, out; pose frames also refused, dropped).",
		}, []string{"channel", "direction"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haven_peers_dropped_total", Help: "Peers disconnected by the server, by reason.",
		}, []string{"reason"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPRequests, m.HTTPDuration, m.LivePeers, m.LiveSessions,
		m.SamplesIngested, m.SamplesArtifact, m.Messages, m.Dropped,
	)
	// Known label values start at zero so dashboards see them before first use.
	for _, kind := range []string{"patient", "therapist", "observer", "member"} {
		m.LivePeers.WithLabelValues(kind)
	}
	return m
}
