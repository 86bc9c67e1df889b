package tgtestsuite

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
)

// UpdatesAPI is the update calls of one account.
type UpdatesAPI interface {
	UpdatesGetState(ctx context.Context) (*tg.UpdatesState, error)
	UpdatesGetDifference(ctx context.Context, req *tg.UpdatesGetDifferenceRequest) (tg.UpdatesDifferenceClass, error)
	UpdatesGetChannelDifference(ctx context.Context, req *tg.UpdatesGetChannelDifferenceRequest) (tg.UpdatesChannelDifferenceClass, error)
}

// UpdatesWorld is a Telegram seen by one account, with the means to make
// things happen in it.
type UpdatesWorld interface {
	UpdatesAPI
	// Incoming has a user send texts, in order, to the account in a
	// private chat (a new one on each call) and returns the messages' ids.
	Incoming(t *testing.T, texts ...string) []int
	// Delete deletes messages of the chat of the last Incoming for everyone.
	Delete(t *testing.T, ids ...int)
	// NewChannel returns a new, empty broadcast channel the account follows.
	NewChannel(t *testing.T) *tg.InputChannel
	// Post posts texts, in order, in channel.
	Post(t *testing.T, channel *tg.InputChannel, texts ...string)
}

// RunUpdates runs the update cases against w. Cases measure from the
// state they find, so w may be shared with other tests (not in parallel).
func RunUpdates(t *testing.T, w UpdatesWorld) {
	t.Run("DifferenceAfterIncoming", func(t *testing.T) { testDifference(t, w) })
	t.Run("DifferenceAfterDelete", func(t *testing.T) { testDeleteDifference(t, w) })
	t.Run("ChannelDifference", func(t *testing.T) { testChannelDifference(t, w) })
	t.Run("UnknownChannel", func(t *testing.T) { testUnknownChannel(t, w) })
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func texts(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", prefix, i)
	}
	return out
}

func messageTexts(ms []tg.MessageClass) []string {
	var out []string
	for _, m := range ms {
		if m, ok := m.(*tg.Message); ok {
			out = append(out, m.Message)
		}
	}
	return out
}

// getState then n incoming messages: getDifference from that state returns
// them in order (following slices), the pts advanced by one each; asked
// again from the new state it is empty, and getState agrees.
func testDifference(t *testing.T, w UpdatesWorld) {
	ctx := testCtx(t)
	st, err := w.UpdatesGetState(ctx)
	if err != nil {
		t.Fatalf("getState: %v", err)
	}
	const n = 7
	want := texts("incoming", n)
	w.Incoming(t, want...)

	got, _, pts, date := difference(ctx, t, w, st)
	if !slices.Equal(got, want) {
		t.Fatalf("difference messages = %q, want %q", got, want)
	}
	if pts != st.Pts+n {
		t.Errorf("pts after %d messages = %d, want %d (one per message)", n, pts, st.Pts+n)
	}
	d, err := w.UpdatesGetDifference(ctx, &tg.UpdatesGetDifferenceRequest{Pts: pts, Date: date, Qts: st.Qts})
	if err != nil {
		t.Fatalf("getDifference(pts %d): %v", pts, err)
	}
	if _, ok := d.(*tg.UpdatesDifferenceEmpty); !ok {
		t.Errorf("getDifference at the latest pts = %T, want empty", d)
	}
	if now, err := w.UpdatesGetState(ctx); err != nil || now.Pts != pts {
		t.Errorf("getState after the difference = %+v %v, want pts %d", now, err, pts)
	}
}

// difference follows getDifference from st, slice by slice, and returns
// the texts of the new messages, the other updates (without the
// updateChannelTooLong of channels with news) and the final pts and date.
func difference(ctx context.Context, t *testing.T, w UpdatesAPI, st *tg.UpdatesState) (msgs []string, other []tg.UpdateClass, pts, date int) {
	t.Helper()
	pts, date = st.Pts, st.Date
	for range 100 {
		d, err := w.UpdatesGetDifference(ctx, &tg.UpdatesGetDifferenceRequest{Pts: pts, Date: date, Qts: st.Qts})
		if err != nil {
			t.Fatalf("getDifference(pts %d): %v", pts, err)
		}
		var next tg.UpdatesState
		switch d := d.(type) {
		case *tg.UpdatesDifference:
			msgs, other, next = append(msgs, messageTexts(d.NewMessages)...), append(other, d.OtherUpdates...), d.State
		case *tg.UpdatesDifferenceSlice:
			msgs, other, next = append(msgs, messageTexts(d.NewMessages)...), append(other, d.OtherUpdates...), d.IntermediateState
		default:
			t.Fatalf("getDifference(pts %d) = %T, want a difference or a slice", pts, d)
		}
		if next.Pts <= pts {
			t.Fatalf("getDifference(pts %d) did not advance: state %+v", pts, next)
		}
		pts, date = next.Pts, next.Date
		if _, last := d.(*tg.UpdatesDifference); last {
			other = slices.DeleteFunc(other, func(u tg.UpdateClass) bool {
				_, news := u.(*tg.UpdateChannelTooLong)
				return news
			})
			return msgs, other, pts, date
		}
	}
	t.Fatal("getDifference never ended its slices")
	return nil, nil, 0, 0
}

// Deleted messages come back from getDifference as created, followed by
// one updateDeleteMessages whose pts advanced by its pts_count, one per id.
func testDeleteDifference(t *testing.T, w UpdatesWorld) {
	ctx := testCtx(t)
	st, err := w.UpdatesGetState(ctx)
	if err != nil {
		t.Fatalf("getState: %v", err)
	}
	want := texts("doomed", 3)
	ids := w.Incoming(t, want...)
	w.Delete(t, ids[0], ids[2])
	got, other, pts, _ := difference(ctx, t, w, st)
	if !slices.Equal(got, want) {
		t.Errorf("difference messages = %q, want %q (deleted ones as created)", got, want)
	}
	if len(other) != 1 {
		t.Fatalf("other updates = %v, want one updateDeleteMessages", other)
	}
	del, ok := other[0].(*tg.UpdateDeleteMessages)
	if !ok || !slices.Equal(del.Messages, []int{ids[0], ids[2]}) || del.PtsCount != 2 || del.Pts != st.Pts+5 {
		t.Errorf("other update = %v, want updateDeleteMessages of %v with pts %d, pts_count 2", other[0], []int{ids[0], ids[2]}, st.Pts+5)
	}
	if pts != st.Pts+5 {
		t.Errorf("pts after 3 messages and a deletion of 2 = %d, want %d", pts, st.Pts+5)
	}
}

// A new channel starts at pts 1, empty; after n posts getChannelDifference
// from pts 1 returns them in order with the pts advanced by one each.
func testChannelDifference(t *testing.T, w UpdatesWorld) {
	ctx := testCtx(t)
	ch := w.NewChannel(t)
	d, err := w.UpdatesGetChannelDifference(ctx, &tg.UpdatesGetChannelDifferenceRequest{
		Channel: ch, Filter: &tg.ChannelMessagesFilterEmpty{}, Pts: 1, Limit: 100})
	if err != nil {
		t.Fatalf("getChannelDifference of a new channel: %v", err)
	}
	if e, ok := d.(*tg.UpdatesChannelDifferenceEmpty); !ok || !e.Final || e.Pts != 1 {
		t.Fatalf("getChannelDifference of a new channel = %v, want empty and final at pts 1", d)
	}

	const n = 3
	want := texts("post", n)
	w.Post(t, ch, want...)
	d, err = w.UpdatesGetChannelDifference(ctx, &tg.UpdatesGetChannelDifferenceRequest{
		Channel: ch, Filter: &tg.ChannelMessagesFilterEmpty{}, Pts: 1, Limit: 100})
	if err != nil {
		t.Fatalf("getChannelDifference after %d posts: %v", n, err)
	}
	f, ok := d.(*tg.UpdatesChannelDifference)
	if !ok {
		t.Fatalf("getChannelDifference after %d posts = %T, want a difference", n, d)
	}
	if got := messageTexts(f.NewMessages); !f.Final || f.Pts != 1+n || !slices.Equal(got, want) {
		t.Errorf("getChannelDifference after %d posts: final %v, pts %d, messages %q; want final, pts %d, %q",
			n, f.Final, f.Pts, got, 1+n, want)
	}
	d, err = w.UpdatesGetChannelDifference(ctx, &tg.UpdatesGetChannelDifferenceRequest{
		Channel: ch, Filter: &tg.ChannelMessagesFilterEmpty{}, Pts: 1 + n, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := d.(*tg.UpdatesChannelDifferenceEmpty); !ok || e.Pts != 1+n {
		t.Errorf("getChannelDifference at the latest pts = %v, want empty at pts %d", d, 1+n)
	}
}

// A channel the account does not know answers CHANNEL_INVALID.
func testUnknownChannel(t *testing.T, w UpdatesWorld) {
	_, err := w.UpdatesGetChannelDifference(testCtx(t), &tg.UpdatesGetChannelDifferenceRequest{
		Channel: &tg.InputChannel{ChannelID: 424242, AccessHash: 1}, Filter: &tg.ChannelMessagesFilterEmpty{}, Pts: 1, Limit: 10})
	if !tgerr.Is(err, "CHANNEL_INVALID") {
		t.Errorf("getChannelDifference of an unknown channel: %v, want CHANNEL_INVALID", err)
	}
}
