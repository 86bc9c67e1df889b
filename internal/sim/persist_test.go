package sim

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgnats/tgnats/schema"
)

// runBriefly runs s until its endpoint is known and returns it.
func runBriefly(t *testing.T, s *Sim) Endpoint {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	<-s.Ready()
	ep := s.Endpoint()
	cancel()
	wg.Wait()
	return ep
}

func TestRestartKeepsWorld(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	cfg := Config{Dir: dir, Accounts: testAccounts(), Now: (&fakeClock{}).Now}
	s1, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.Produce(ctx, Scenario{Seed: 7}, 40); err != nil {
		t.Fatal(err)
	}
	ep1 := runBriefly(t, s1)
	ledger := s1.Ledger("main")
	state, _ := s1.State("main")

	// A process killed mid-write leaves a torn last line.
	f, err := os.OpenFile(filepath.Join(dir, journalFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"op":"send","now":17`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Ledger("main"); !reflect.DeepEqual(got, ledger) {
		t.Fatalf("ledger after restart differs: %d entries, want %d", len(got), len(ledger))
	}
	if got, _ := s2.State("main"); got != state {
		t.Fatalf("state after restart %+v, want %+v", got, state)
	}
	ep2 := runBriefly(t, s2)
	if ep2.DC != ep1.DC || ep2.Addr != ep1.Addr || ep2.PublicKeyPEM != ep1.PublicKeyPEM {
		t.Errorf("endpoint after restart %+v, want %+v (same key and port of the home DC)", ep2, ep1)
	}

	// The world goes on: pts and ids continue where they stopped.
	s3, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if err := s3.Produce(ctx, Scenario{Seed: 8}, 10); err != nil {
		t.Fatal(err)
	}
	after, _ := s3.State("main")
	l3 := s3.Ledger("main")
	if after.Pts <= state.Pts || len(l3) <= len(ledger) || l3[len(ledger)].Seq <= ledger[len(ledger)-1].Seq {
		t.Errorf("after more traffic: pts %d (was %d), %d ledger entries (was %d)", after.Pts, state.Pts, len(l3), len(ledger))
	}
}

func TestProduceIsDeterministicAndMixed(t *testing.T) {
	ctx := testCtx(t)
	ledgerOf := func() map[string][]LedgerEntry {
		s, err := New(Config{Accounts: testAccounts(), Now: (&fakeClock{}).Now})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Produce(ctx, Scenario{Seed: 42}, 300); err != nil {
			t.Fatal(err)
		}
		return map[string][]LedgerEntry{"main": s.Ledger("main"), "second": s.Ledger("second")}
	}
	a, b := ledgerOf(), ledgerOf()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same seed produced different ledgers")
	}
	actions := map[string]int{}
	kinds := map[schema.PeerKind]int{}
	for _, e := range a["main"] {
		actions[e.Action]++
		kinds[e.Peer.Kind]++
	}
	for _, act := range []string{schema.ActionCreated, schema.ActionEdited, schema.ActionDeleted} {
		if actions[act] == 0 {
			t.Errorf("no %s entries in %v", act, actions)
		}
	}
	if actions[schema.ActionCreated] < actions[schema.ActionEdited] {
		t.Errorf("more edits than messages: %v", actions)
	}
	for _, k := range []schema.PeerKind{schema.PeerUser, schema.PeerChat, schema.PeerChannel} {
		if kinds[k] == 0 {
			t.Errorf("no traffic in %s chats: %v", k, kinds)
		}
	}
}

func TestChangesRefused(t *testing.T) {
	ctx := testCtx(t)
	s, err := New(Config{Now: (&fakeClock{}).Now})
	if err != nil {
		t.Fatal(err)
	}
	u := s.CreateUser("A", "", "")
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	tests := []struct {
		name    string
		do      func() error
		wantErr error
	}{
		{name: "unknown user", do: func() error {
			_, err := s.SendMessage(ctx, Outgoing{Chat: schema.PeerRef{Kind: schema.PeerUser, ID: 1}})
			return err
		}, wantErr: ErrNotFound},
		{name: "unknown account", do: func() error {
			_, err := s.SendMessage(ctx, Outgoing{Account: "nobody", Chat: private})
			return err
		}, wantErr: ErrNotFound},
		{name: "bad media", do: func() error {
			_, err := s.SendMessage(ctx, Outgoing{Chat: private, Media: "hologram"})
			return err
		}, wantErr: ErrInvalid},
		{name: "service in private chat", do: func() error {
			_, err := s.SendMessage(ctx, Outgoing{Chat: private, Service: "chat_add_user"})
			return err
		}, wantErr: ErrInvalid},
		{name: "edit unknown message", do: func() error { return s.EditMessage(ctx, private, "", 99, "x") }, wantErr: ErrNotFound},
		{name: "unknown member", do: func() error {
			_, err := s.CreateChat(schema.PeerChat, "g", 12345)
			return err
		}, wantErr: ErrNotFound},
		{name: "after close", do: func() error {
			_ = s.Close()
			_, err := s.SendMessage(ctx, Outgoing{Chat: private})
			return err
		}, wantErr: ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errorsIs(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if n := len(s.Ledger("main")); n != 0 {
		t.Errorf("refused changes left %d ledger entries", n)
	}
}

func TestCollector(t *testing.T) {
	s, err := New(Config{Now: (&fakeClock{}).Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chat := schema.PeerRef{Kind: schema.PeerUser, ID: s.CreateUser("A", "", "")}
	ids := sendN(t, s, "main", chat, 3)
	if err := s.DeleteMessages(testCtx(t), chat, "main", ids[0]); err != nil {
		t.Fatal(err)
	}
	s.Withhold(true)
	sendN(t, s, "main", chat, 1)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s.Collector())
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			got[key] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"tgsim_ledger_entries,account=main,action=created": 4,
		"tgsim_ledger_entries,account=main,action=deleted": 1,
		"tgsim_faults_total,fault=withheld":                1,
		"tgsim_live_sessions,account=main":                 0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func errorsIs(err, target error) bool { return err != nil && errors.Is(err, target) }
