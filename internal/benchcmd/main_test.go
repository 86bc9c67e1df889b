package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	out := `goos: linux
BenchmarkPublisher/mode=batch/chats=1-2   	   20000	    46268 ns/op	     46087 events/s	        45.52 pub_allocs/event	     42314 raw_events/s	         1.089 x_of_raw
BenchmarkPublisher/mode=batch/chats=1-2   	   20000	    46268 ns/op	     40000 events/s	        45.52 pub_allocs/event	     50000 raw_events/s	         0.800 x_of_raw
BenchmarkCatchUp-2   1   9 ns/op   21000 events/s
PASS
`
	names, res := parse(strings.NewReader(out))
	if len(names) != 2 || names[0] != "BenchmarkPublisher/mode=batch/chats=1" || names[1] != "BenchmarkCatchUp" {
		t.Fatalf("names = %v", names)
	}
	pub := res["BenchmarkPublisher/mode=batch/chats=1"]
	if got := pub["x_of_raw"]; len(got) != 2 || got[0] != 1.089 || got[1] != 0.8 {
		t.Fatalf("x_of_raw = %v", got)
	}
	if got := median(pub["events/s"]); got != 43043.5 {
		t.Errorf("median events/s = %v", got)
	}
	if got := res["BenchmarkCatchUp"]["events/s"]; len(got) != 1 || got[0] != 21000 {
		t.Errorf("catch-up events/s = %v", got)
	}
	if got := cell([]float64{0.5, 0.9, 0.7}, "%.2f"); got != "0.70 (0.50–0.90)" {
		t.Errorf("cell = %q", got)
	}
}

func TestSoakSummary(t *testing.T) {
	// 20 MiB anonymous at the start, growing 1 MiB a minute; 54 MiB mapped.
	var samples []soakSample
	for i := range 31 {
		at := time.Duration(i) * 20 * time.Second
		anon := int64(20*mib) + int64(at.Minutes()*mib)
		samples = append(samples, soakSample{at: at, run: memory{rss: anon + 54*mib, anon: anon, file: 54 * mib},
			sim: memory{rss: 100 * mib}, published: at.Seconds() * 1000})
	}
	if got := slope(samples, func(s soakSample) float64 { return mb(s.run.anon) }); got < 0.999 || got > 1.001 {
		t.Errorf("slope = %v MiB/min, want 1", got)
	}
	var b strings.Builder
	summarizeSoak(&b, samples, 10*time.Minute)
	for _, want := range []string{"VmRSS 75.0–84.0 MiB after the first minute", "target ≤ 64 MiB: no", "slope +1.00 MiB/min", "600000 published in 10m0s (1000/s)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

func TestMemoryOf(t *testing.T) {
	m, err := memoryOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.rss <= 0 || m.anon <= 0 || m.anon+m.file > m.rss+mib {
		t.Errorf("memory of this process: %+v", m)
	}
}
