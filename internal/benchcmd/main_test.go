package main

import (
	"strings"
	"testing"
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
