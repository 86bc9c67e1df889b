package tgclient

import (
	"context"
	"slices"
	"testing"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
)

// An account logged in on another DC than the configured one: its session
// names DC 4, whose address only the session's configuration holds. Without
// it gotd has "no addresses for DC 4" and the account never connects.
func TestAddStoredDCs(t *testing.T) {
	ctx := context.Background()
	opts := telegram.Options{}
	if err := SetDC(&opts, 2, "127.0.0.1:4002", nil); err != nil {
		t.Fatal(err)
	}
	store := &session.StorageMemory{}
	AddStoredDCs(ctx, &opts, store) // nothing stored: nothing added
	if len(opts.DCList.Options) != 1 {
		t.Fatalf("DC list without a session: %+v", opts.DCList.Options)
	}
	data := &session.Data{DC: 4, AuthKey: make([]byte, 256), AuthKeyID: make([]byte, 8)}
	data.Config.DCOptions = []tg.DCOption{
		{ID: 2, IPAddress: "10.0.0.2", Port: 1}, // the configured address wins
		{ID: 4, IPAddress: "127.0.0.1", Port: 4004},
	}
	if err := (&session.Loader{Storage: store}).Save(ctx, data); err != nil {
		t.Fatal(err)
	}
	AddStoredDCs(ctx, &opts, store)
	got := opts.DCList.Options
	if len(got) != 2 || got[0].IPAddress != "127.0.0.1" || got[0].Port != 4002 ||
		!slices.ContainsFunc(got, func(o tg.DCOption) bool { return o.ID == 4 && o.Port == 4004 }) {
		t.Errorf("DC list %+v, want the configured DC 2 and the stored DC 4", got)
	}
	prod := telegram.Options{}
	AddStoredDCs(ctx, &prod, store)
	if len(prod.DCList.Options) != 0 {
		t.Errorf("production options changed: %+v", prod.DCList.Options)
	}
}
