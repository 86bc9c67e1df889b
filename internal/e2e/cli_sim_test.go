package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// startBin runs the connector binary with args as a subprocess; the
// tests' own TGNATS_TEST_* switches are left out of its environment (the
// connector would refuse them as unknown configuration keys), env added.
func startBin(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), out: new(syncbuf.Buffer)}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TGNATS_TEST_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, env...)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitOutput waits until p has printed s, failing when p exits first.
func (p *process) waitOutput(t *testing.T, timeout time.Duration, s string) {
	t.Helper()
	testutil.Eventually(t, timeout, "output "+s, func() bool { return strings.Contains(p.out.String(), s) })
}

// wait waits for p to exit and returns its error.
func (p *process) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		p.kill(t)
		t.Fatalf("%s did not exit within %s:\n%s", p.cmd.Args, timeout, p.out)
		return nil
	}
}

// simControl is a client of a simulator's control surface.
type simControl struct {
	nc *nats.Conn
}

func newSimControl(t *testing.T, url string) *simControl {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return &simControl{nc: nc}
}

// errControl is a control request the surface answered with an error.
var errControl = errors.New("control request failed")

// try sends one control request and decodes its result into res (when
// not nil); a refused request is errControl with the answer.
func (c *simControl) try(account, verb, body string, res any) error {
	m, err := c.nc.Request(schema.ControlSubject(schema.DefaultControlPrefix, account, verb), []byte(body), 10*time.Second)
	if err != nil {
		return err
	}
	var a struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(m.Data, &a); err != nil {
		return err
	}
	if !a.OK {
		return errors.Join(errControl, errors.New(string(m.Data)))
	}
	if res != nil {
		return json.Unmarshal(a.Result, res)
	}
	return nil
}

// call is try that must succeed.
func (c *simControl) call(t *testing.T, account, verb, body string, res any) {
	t.Helper()
	if err := c.try(account, verb, body, res); err != nil {
		t.Fatalf("%s %s %s: %v", account, verb, body, err)
	}
}

// ledgerTotal is the number of ledger entries of account.
func (c *simControl) ledgerTotal(t *testing.T, account string) int {
	t.Helper()
	var p struct {
		Total int `json:"total"`
	}
	c.call(t, account, "ledger", `{"limit":1}`, &p)
	return p.Total
}

// ledger reads account's ledger from entry from on, every page.
func (c *simControl) ledger(t *testing.T, account string, from int) []sim.LedgerEntry {
	t.Helper()
	var out []sim.LedgerEntry
	for {
		var p struct {
			Entries []sim.LedgerEntry `json:"entries"`
			Next    int               `json:"next"`
		}
		c.call(t, account, "ledger", `{"from":`+itoa(from)+`}`, &p)
		out = append(out, p.Entries...)
		if p.Next == 0 {
			return out
		}
		from = p.Next
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// produce runs the simulator's traffic at rate until account's ledger has
// grown by n entries, then stops it.
func (c *simControl) produce(t *testing.T, account string, rate, n int) {
	t.Helper()
	start := c.ledgerTotal(t, account)
	c.call(t, account, "traffic", `{"rate":`+itoa(rate)+`,"seed":7}`, nil)
	testutil.Eventually(t, 2*time.Minute, "generated traffic", func() bool { return c.ledgerTotal(t, account) >= start+n })
	c.call(t, account, "traffic", `{"rate":0}`, nil)
}
