package sim

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"

	"github.com/tgnats/tgnats/internal/syncbuf"
)

// TestRoutesDecodeTheirRequest checks the table: every row's handler
// takes the request type of the row's method (else every call would fail
// to decode).
func TestRoutesDecodeTheirRequest(t *testing.T) {
	for id, rt := range routes() {
		if rt.request != id {
			t.Errorf("%s: handler takes %s", methodName(id), methodName(rt.request))
		}
		if (rt.world == nil) == (rt.open == nil) {
			t.Errorf("%s: want exactly one handler", methodName(id))
		}
	}
}

// TestPanickingHandler serves a method whose handler panics: the call is
// answered 500 INTERNAL, the panic logged, and the simulator goes on
// serving (its world unlocked).
func TestPanickingHandler(t *testing.T) {
	var logs syncbuf.Buffer
	s, err := New(Config{Accounts: testAccounts(), Now: (&fakeClock{}).Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.routes[tg.HelpGetTermsOfServiceUpdateRequestTypeID] = worldRoute(
		func(*Sim, *account, *tgtest.Request, *tg.HelpGetTermsOfServiceUpdateRequest) (bin.Encoder, error) {
			panic("handler bug")
		})
	ctx, cancel := context.WithCancel(testCtx(t))
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	serveSim(ctx, t, &wg, s)
	api, err := startClient(ctx, &wg, s.Endpoint(), "1000:simulated-token", newRecorder())
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.HelpGetTermsOfServiceUpdate(ctx)
	if rpcErr, ok := tgerr.As(err); !ok || rpcErr.Code != 500 || rpcErr.Type != "INTERNAL" {
		t.Fatalf("call of a panicking handler: %v, want 500 INTERNAL", err)
	}
	if !strings.Contains(logs.String(), "rpc handler panicked") || !strings.Contains(logs.String(), "handler bug") {
		t.Errorf("panic not logged:\n%s", logs.String())
	}
	if _, err := api.UpdatesGetState(ctx); err != nil {
		t.Fatalf("getState after the panic: %v", err)
	}
}
