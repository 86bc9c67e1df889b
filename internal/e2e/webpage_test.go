package e2e

import (
	"context"
	"testing"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// A link whose preview Telegram completes after the message reaches the
// stream as message.created with the preview pending, then, on
// updateWebPage (a private chat; its push withheld, so getDifference
// brings it) or updateChannelWebPage (a supergroup), as message.edited
// once, with the ledger's id, the message's text and the completed
// preview.
func TestLinkPreviews(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	s := sc.sim
	ctx := context.Background()
	alice := s.CreateUser("Alice", "", "alice")
	super, err := s.CreateChat(schema.PeerChannel, "Links", alice)
	if err != nil {
		t.Fatal(err)
	}
	private := schema.PeerRef{Kind: schema.PeerUser, ID: alice}
	inPrivate := sc.send(t, sim.Outgoing{Chat: private, Media: "link"})
	inSuper := sc.send(t, sim.Outgoing{Chat: super, From: alice, Text: "read this", Media: "link"})
	sc.checkLedger(t)

	s.Withhold(true)
	if err := s.WebPageReady(ctx, "", private, inPrivate); err != nil {
		t.Fatal(err)
	}
	s.Withhold(false)
	if err := s.WebPageReady(ctx, "", super, inSuper); err != nil {
		t.Fatal(err)
	}
	// The next message reveals the withheld pts gap.
	sc.send(t, sim.Outgoing{Chat: private, Text: "after the previews"})
	evs := sc.checkLedger(t)

	edits := map[schema.PeerRef]int{}
	for _, e := range evs {
		if e.kind != schema.KindMessage {
			continue
		}
		var body schema.Message
		streamBody(t, sc, e.id, &body)
		if body.Media == nil || body.Media.Type != "webpage" {
			continue
		}
		switch e.action {
		case schema.ActionCreated:
			if !body.Media.Pending || body.Media.WebPageID == "" || body.Media.URL == "" {
				t.Errorf("%s: media %+v, want a pending preview", e.id, body.Media)
			}
		case schema.ActionEdited:
			edits[body.Chat.Ref()] = body.MessageID
			if body.Media.Pending || body.Media.Title == "" || body.Media.SiteName == "" || body.Media.DisplayURL == "" || body.Media.Description == "" || body.Text == "" {
				t.Errorf("%s: text %q media %+v, want the message with its completed preview", e.id, body.Text, body.Media)
			}
		}
	}
	if len(edits) != 2 || edits[private] != inPrivate || edits[super] != inSuper {
		t.Errorf("previews published as edits of %v, want message %d of %v and %d of %v", edits, inPrivate, private, inSuper, super)
	}
}
