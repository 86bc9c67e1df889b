package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
)

// TestReadmeControlExamples pastes the README's simulator control examples,
// in their order, into a fresh `connector simulate --rate 0`, as a reader
// would: each is answered ok, and every "key":value its comment shows
// after → is in the answer.
func TestReadmeControlExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Simulator control")
	if !ok {
		t.Fatal("README has no Simulator control section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	line := regexp.MustCompile(`^\$S (tgsim\.main\.control\.\S+)\s+'([^']*)'\s*(?:#\s*(.*))?$`)
	pair := regexp.MustCompile(`"(\w+)":("[^"…]*"|-?\d+|true|false)`)

	url, _ := startSimulate(t, "--http-listen", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0", "--rate", "0")
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	n := 0
	for l := range strings.SplitSeq(section, "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n++
		subject, body, comment := m[1], m[2], m[3]
		reply, err := nc.Request(subject, []byte(body), 10*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", subject, err)
		}
		var a struct {
			OK     bool            `json:"ok"`
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(reply.Data, &a); err != nil || !a.OK {
			t.Errorf("%s %s: %s", subject, body, reply.Data)
			continue
		}
		_, shown, ok := strings.Cut(comment, "→")
		if !ok {
			continue
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, a.Result); err != nil {
			t.Fatal(err)
		}
		for _, p := range pair.FindAllString(shown, -1) {
			if !strings.Contains(compact.String(), p) {
				t.Errorf("%s %s: the README shows %s, the answer is %s", subject, body, p, compact.String())
			}
		}
	}
	if n < 10 {
		t.Fatalf("found %d examples in the README: the pattern no longer matches", n)
	}
}

// startSimulate runs `connector simulate` in-process on a fresh data dir
// until the test ends and returns its NATS URL, read from the banner, and
// the banner.
func startSimulate(t *testing.T, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncbuf.Buffer
	done := make(chan error, 1)
	args = append([]string{"--data-dir", filepath.Join(t.TempDir(), "sim"), "--log-level", "warn"}, args...)
	go func() { done <- simulateCmd(ctx, args, &out, &errOut) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulate: %v; stderr:\n%s", err, errOut.String())
		}
	})
	banner := regexp.MustCompile(`NATS at (nats://\S+)`)
	var url string
	testutil.Eventually(t, 90*time.Second, "the banner", func() bool {
		m := banner.FindStringSubmatch(out.String())
		if m == nil || !strings.Contains(out.String(), "Ctrl-C stops") {
			return false
		}
		url = m[1]
		return true
	})
	return url, out.String()
}
