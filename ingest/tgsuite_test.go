package ingest

import (
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgtestsuite"
)

// fakeUpdatesWorld is the ingest fake as a tgtestsuite.UpdatesWorld.
type fakeUpdatesWorld struct {
	*fakeTelegram
	lastID      int   // of private messages
	lastChannel int64 // id of the newest channel
}

func (w *fakeUpdatesWorld) Incoming(_ *testing.T, texts ...string) []int {
	var ids []int
	for _, text := range texts {
		w.lastID++
		w.newMessage(w.lastID, 7, text)
		ids = append(ids, w.lastID)
	}
	return ids
}

func (w *fakeUpdatesWorld) Delete(_ *testing.T, ids ...int) { w.deleteMessages(ids...) }

func (w *fakeUpdatesWorld) NewChannel(*testing.T) *tg.InputChannel {
	w.lastChannel++
	id := 5000 + w.lastChannel
	w.setChannel(id, func(*fakeChannel) {})
	return &tg.InputChannel{ChannelID: id, AccessHash: id}
}

func (w *fakeUpdatesWorld) Post(_ *testing.T, ch *tg.InputChannel, texts ...string) {
	for _, text := range texts {
		w.channelMessage(ch.ChannelID, text)
	}
}

// The fake answers the update calls as the simulator does.
func TestFakeTelegramAgreesWithTheSimulator(t *testing.T) {
	tgtestsuite.RunUpdates(t, &fakeUpdatesWorld{fakeTelegram: newFakeTelegram()})
}
