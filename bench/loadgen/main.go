// loadgen: an open-loop HTTP load generator for bench/overload (bench/lib/overload.py).
//
//	loadgen -url http://127.0.0.1:8080/helloDoc/users -rate 4000 -duration 10s
//
// Requests are scheduled at a fixed rate whatever the server does (wrk is
// closed-loop: a slow server slows its senders, which hides queueing). Each
// latency is measured from the request's scheduled time, so time spent
// waiting for a free connection counts (no coordinated omission). Prints one
// JSON line: counts by outcome (accepted_rps: 2xx per second until the last
// answer), and latency percentiles of the accepted (2xx)
// and of the shed (503) answers.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

type outcome struct {
	status  int
	latency time.Duration
}

func percentiles(lat []time.Duration) map[string]float64 {
	out := map[string]float64{}
	if len(lat) == 0 {
		return out
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	at := func(p float64) float64 {
		i := int(p / 100 * float64(len(lat)-1))
		return float64(lat[i].Microseconds()) / 1000
	}
	out["p50_ms"], out["p90_ms"], out["p99_ms"], out["p999_ms"] = at(50), at(90), at(99), at(99.9)
	out["max_ms"] = float64(lat[len(lat)-1].Microseconds()) / 1000
	return out
}

func main() {
	url := flag.String("url", "", "target URL (GET)")
	rate := flag.Float64("rate", 1000, "requests per second, scheduled at a fixed interval")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	conns := flag.Int("conns", 2000, "connections at most (keep-alive)")
	timeout := flag.Duration("timeout", 10*time.Second, "client timeout per request")
	flag.Parse()
	if *url == "" || *rate <= 0 {
		fmt.Fprintln(os.Stderr, "usage: loadgen -url URL -rate N -duration D")
		os.Exit(2)
	}
	client := &http.Client{Timeout: *timeout, Transport: &http.Transport{
		MaxConnsPerHost: *conns, MaxIdleConnsPerHost: *conns, DisableCompression: true,
	}}
	results := make(chan outcome, 1<<16)
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / *rate)
	start := time.Now()
	total := int(*rate * duration.Seconds())
	for i := 0; i < total; i++ {
		scheduled := start.Add(time.Duration(i) * interval)
		if d := time.Until(scheduled); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(scheduled time.Time) {
			defer wg.Done()
			status := 0
			resp, err := client.Get(*url)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
			}
			results <- outcome{status, time.Since(scheduled)}
		}(scheduled)
	}
	go func() { wg.Wait(); close(results) }()
	var accepted, shed []time.Duration
	other := 0
	for r := range results {
		switch {
		case r.status >= 200 && r.status < 300:
			accepted = append(accepted, r.latency)
		case r.status == 503:
			shed = append(shed, r.latency)
		default:
			other++
		}
	}
	elapsed := time.Since(start).Seconds()
	report := map[string]any{
		"offered_rps": *rate, "sent": total, "elapsed_s": elapsed,
		"accepted": len(accepted), "shed": len(shed), "errors": other,
		"accepted_rps":     float64(len(accepted)) / elapsed,
		"accepted_latency": percentiles(accepted), "shed_latency": percentiles(shed),
	}
	line, _ := json.Marshal(report)
	fmt.Println(string(line))
}
