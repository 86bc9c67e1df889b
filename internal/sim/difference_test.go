package sim

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/schema"
)

// sendN sends n texts to chat as account and returns their ids.
func sendN(t *testing.T, s *Sim, account string, chat schema.PeerRef, n int) []int {
	t.Helper()
	var ids []int
	for range n {
		id, err := s.SendMessage(context.Background(), Outgoing{Account: account, Chat: chat, Text: "m"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func messageIDs(ms []tg.MessageClass) []int {
	var ids []int
	for _, m := range ms {
		ids = append(ids, m.GetID())
	}
	return ids
}

// withoutChannelTooLong drops the updateChannelTooLong entries that
// getDifference adds for channels changed since the request's date.
func withoutChannelTooLong(us []tg.UpdateClass) []tg.UpdateClass {
	return slices.DeleteFunc(slices.Clone(us), func(u tg.UpdateClass) bool {
		_, ok := u.(*tg.UpdateChannelTooLong)
		return ok
	})
}

func getDiff(t *testing.T, req tg.UpdatesGetDifferenceRequest) tg.UpdatesDifferenceClass {
	t.Helper()
	d, err := mainAPI.UpdatesGetDifference(testCtx(t), &req)
	if err != nil {
		t.Fatalf("getDifference(%+v): %v", req, err)
	}
	return d
}

func TestGetDifference(t *testing.T) {
	shared.Withhold(true)
	defer shared.Withhold(false)
	ctx := testCtx(t)
	chat := schema.PeerRef{Kind: schema.PeerUser, ID: newTestUser(t)}

	t.Run("empty", func(t *testing.T) {
		sendN(t, shared, "main", chat, 1) // the latest change is in the common box
		st, err := mainAPI.UpdatesGetState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Date: st.Date}).(*tg.UpdatesDifferenceEmpty)
		if !ok || d.Seq != st.Seq || d.Date != st.Date {
			t.Fatalf("difference = %v, want empty with seq %d date %d", d, st.Seq, st.Date)
		}
	})

	t.Run("full", func(t *testing.T) {
		st, _ := shared.State("main")
		ids := sendN(t, shared, "main", chat, 3)
		if err := shared.EditMessage(ctx, chat, "main", ids[0], "edited"); err != nil {
			t.Fatal(err)
		}
		if err := shared.DeleteMessages(ctx, chat, "main", ids[1]); err != nil {
			t.Fatal(err)
		}
		d, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Date: st.Date}).(*tg.UpdatesDifference)
		if !ok {
			t.Fatalf("difference is not full: %T", d)
		}
		// Deleted messages are still delivered as created, with their original text.
		if got := messageIDs(d.NewMessages); !slices.Equal(got, ids) {
			t.Errorf("new messages %v, want %v", got, ids)
		}
		if m := d.NewMessages[0].(*tg.Message); m.Message != "m" || m.EditDate != 0 {
			t.Errorf("first new message = %q edit_date %d, want the original version", m.Message, m.EditDate)
		}
		other := withoutChannelTooLong(d.OtherUpdates)
		if len(other) != 2 {
			t.Fatalf("other updates %v, want edit and delete", other)
		}
		if e, ok := other[0].(*tg.UpdateEditMessage); !ok || e.Pts != st.Pts+4 || e.Message.(*tg.Message).Message != "edited" {
			t.Errorf("other[0] = %v, want the edit at pts %d", other[0], st.Pts+4)
		}
		if del, ok := other[1].(*tg.UpdateDeleteMessages); !ok || del.Pts != st.Pts+5 || !slices.Equal(del.Messages, ids[1:2]) {
			t.Errorf("other[1] = %v, want the deletion at pts %d", other[1], st.Pts+5)
		}
		now, _ := shared.State("main")
		if d.State.Pts != st.Pts+5 || d.State.Seq != now.Seq || d.State.Date != now.Date {
			t.Errorf("state %+v, want pts %d and the current seq/date %+v", d.State, st.Pts+5, now)
		}
	})

	t.Run("slice", func(t *testing.T) {
		st, _ := shared.State("main")
		ids := sendN(t, shared, "main", chat, testSliceLimit+2)
		s1, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Date: st.Date}).(*tg.UpdatesDifferenceSlice)
		if !ok {
			t.Fatal("first difference is not a slice")
		}
		if got := messageIDs(s1.NewMessages); !slices.Equal(got, ids[:testSliceLimit]) {
			t.Errorf("slice messages %v, want %v", got, ids[:testSliceLimit])
		}
		is := s1.IntermediateState
		if is.Pts != st.Pts+testSliceLimit {
			t.Errorf("intermediate pts %d, want %d", is.Pts, st.Pts+testSliceLimit)
		}
		d2, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: is.Pts, Date: is.Date}).(*tg.UpdatesDifference)
		if !ok || !slices.Equal(messageIDs(d2.NewMessages), ids[testSliceLimit:]) || d2.State.Pts != st.Pts+testSliceLimit+2 {
			t.Errorf("second difference = %v, want the remaining 2 messages", d2)
		}
		// The request's pts_limit narrows the slice further.
		s3, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Date: st.Date, PtsLimit: 2}).(*tg.UpdatesDifferenceSlice)
		if !ok || len(s3.NewMessages) != 2 || s3.IntermediateState.Pts != st.Pts+2 {
			t.Errorf("pts_limit 2 difference = %v, want a slice of 2", s3)
		}
	})

	t.Run("rename in a sliced backlog comes once", func(t *testing.T) {
		st, _ := shared.State("main")
		sendN(t, shared, "main", chat, 2)
		if err := shared.RenameUser(ctx, chat.ID, "Renamed", "", ""); err != nil {
			t.Fatal(err)
		}
		sendN(t, shared, "main", chat, 2*testSliceLimit)
		// Walk the round as a client does, from each part's state.
		renames, parts := 0, 0
		req := tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Date: st.Date}
		for done := false; !done && parts < 10; parts++ {
			var other []tg.UpdateClass
			switch d := getDiff(t, req).(type) {
			case *tg.UpdatesDifferenceSlice:
				other = d.OtherUpdates
				req = tg.UpdatesGetDifferenceRequest{Pts: d.IntermediateState.Pts, Date: d.IntermediateState.Date}
			case *tg.UpdatesDifference:
				other, done = d.OtherUpdates, true
			default:
				t.Fatalf("part %d is %T", parts, d)
			}
			for _, u := range other {
				if u, ok := u.(*tg.UpdateUserName); ok && u.UserID == chat.ID && u.FirstName == "Renamed" {
					renames++
				}
			}
		}
		if parts < 3 || renames != 1 {
			t.Fatalf("the rename came in %d of %d parts, want 1 of at least 3", renames, parts)
		}
	})

	t.Run("too long", func(t *testing.T) {
		st, _ := shared.State("main")
		sendN(t, shared, "main", chat, testTooLongAfter+1)
		d, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Date: st.Date}).(*tg.UpdatesDifferenceTooLong)
		if !ok || d.Pts != st.Pts+testTooLongAfter+1 {
			t.Fatalf("difference = %v, want tooLong at pts %d", d, st.Pts+testTooLongAfter+1)
		}
		now, _ := shared.State("main")
		if _, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: now.Pts - 3, Date: now.Date, PtsTotalLimit: 2}).(*tg.UpdatesDifferenceTooLong); !ok {
			t.Error("pts_total_limit 2 with a gap of 3 did not answer tooLong")
		}
	})

	t.Run("channel changes", func(t *testing.T) {
		st, _ := shared.State("main")
		c, err := shared.CreateChat(schema.PeerChannel, "diff channel")
		if err != nil {
			t.Fatal(err)
		}
		sendN(t, shared, "", c, 2)
		d, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Date: st.Date}).(*tg.UpdatesDifference)
		if !ok {
			t.Fatalf("difference = %T, want full with updateChannelTooLong", d)
		}
		found := false
		for _, u := range d.OtherUpdates {
			if u, ok := u.(*tg.UpdateChannelTooLong); ok && u.ChannelID == c.ID && u.Pts == 3 {
				found = true
			}
		}
		if !found {
			t.Errorf("no updateChannelTooLong{%d, pts 3} in %v", c.ID, d.OtherUpdates)
		}
	})
}

func TestGetChannelDifference(t *testing.T) {
	shared.Withhold(true)
	defer shared.Withhold(false)
	ctx := testCtx(t)
	c, err := shared.CreateChat(schema.PeerChannel, "channel diff", newTestUser(t))
	if err != nil {
		t.Fatal(err)
	}
	ids := sendN(t, shared, "", c, 6)
	if err := shared.EditMessage(ctx, c, "", ids[0], "edited"); err != nil {
		t.Fatal(err)
	}
	if err := shared.DeleteMessages(ctx, c, "", ids[1]); err != nil {
		t.Fatal(err)
	}
	const pts = 1 + 6 + 1 + 1
	long, err := shared.CreateChat(schema.PeerChannel, "long channel")
	if err != nil {
		t.Fatal(err)
	}
	longIDs := sendN(t, shared, "", long, testTooLongAfter+1)

	in := inputChannel(t, c.ID)
	tests := []struct {
		name    string
		channel tg.InputChannelClass
		pts     int
		limit   int
		check   func(t *testing.T, d tg.UpdatesChannelDifferenceClass)
		wantErr string
	}{
		{name: "empty", channel: in, pts: pts, limit: 10, check: func(t *testing.T, d tg.UpdatesChannelDifferenceClass) {
			if e, ok := d.(*tg.UpdatesChannelDifferenceEmpty); !ok || !e.Final || e.Pts != pts {
				t.Errorf("got %v, want empty final at pts %d", d, pts)
			}
		}},
		{name: "full", channel: in, pts: 1, limit: 100, check: func(t *testing.T, d tg.UpdatesChannelDifferenceClass) {
			f, ok := d.(*tg.UpdatesChannelDifference)
			if !ok || !f.Final || f.Pts != pts || !slices.Equal(messageIDs(f.NewMessages), ids) || len(f.OtherUpdates) != 2 {
				t.Fatalf("got %v, want final at pts %d with %v and 2 other updates", d, pts, ids)
			}
			if e, ok := f.OtherUpdates[0].(*tg.UpdateEditChannelMessage); !ok || e.Pts != 8 {
				t.Errorf("other[0] = %v, want the edit at pts 8", f.OtherUpdates[0])
			}
			if del, ok := f.OtherUpdates[1].(*tg.UpdateDeleteChannelMessages); !ok || del.Pts != 9 || del.ChannelID != c.ID {
				t.Errorf("other[1] = %v, want the deletion at pts 9", f.OtherUpdates[1])
			}
		}},
		{name: "not final", channel: in, pts: 1, limit: 3, check: func(t *testing.T, d tg.UpdatesChannelDifferenceClass) {
			f, ok := d.(*tg.UpdatesChannelDifference)
			if !ok || f.Final || f.Pts != 4 || !slices.Equal(messageIDs(f.NewMessages), ids[:3]) {
				t.Errorf("got %v, want 3 messages up to pts 4, not final", d)
			}
		}},
		{name: "too long", channel: inputChannel(t, long.ID), pts: 1, limit: 5, check: func(t *testing.T, d tg.UpdatesChannelDifferenceClass) {
			l, ok := d.(*tg.UpdatesChannelDifferenceTooLong)
			if !ok {
				t.Fatalf("got %T, want tooLong", d)
			}
			dlg := l.Dialog.(*tg.Dialog)
			last := longIDs[len(longIDs)-1]
			if dlg.Pts != testTooLongAfter+2 || dlg.TopMessage != last || len(l.Messages) != 5 || l.Messages[0].GetID() != last {
				t.Errorf("got dialog %+v with %d messages, want pts %d top %d and the 5 latest", dlg, len(l.Messages), testTooLongAfter+2, last)
			}
		}},
		{name: "pts zero", channel: in, pts: 0, limit: 10, wantErr: "PERSISTENT_TIMESTAMP_INVALID"},
		{name: "wrong access hash", channel: &tg.InputChannel{ChannelID: c.ID, AccessHash: in.AccessHash + 1}, pts: 1, limit: 10, wantErr: "CHANNEL_INVALID"},
		{name: "unknown channel", channel: &tg.InputChannel{ChannelID: 42, AccessHash: 1}, pts: 1, limit: 10, wantErr: "CHANNEL_INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := mainAPI.UpdatesGetChannelDifference(ctx, &tg.UpdatesGetChannelDifferenceRequest{
				Channel: tt.channel, Filter: &tg.ChannelMessagesFilterEmpty{}, Pts: tt.pts, Limit: tt.limit,
			})
			if tt.wantErr != "" {
				if !tgerr.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, d)
		})
	}
}

func TestGetHistory(t *testing.T) {
	shared.Withhold(true)
	defer shared.Withhold(false)
	c, err := shared.CreateChat(schema.PeerChannel, "history")
	if err != nil {
		t.Fatal(err)
	}
	sendN(t, shared, "", c, 10) // ids 1..10
	if err := shared.DeleteMessages(testCtx(t), c, "", 5); err != nil {
		t.Fatal(err)
	}
	in := inputChannel(t, c.ID)
	peer := &tg.InputPeerChannel{ChannelID: in.ChannelID, AccessHash: in.AccessHash}
	tests := []struct {
		name    string
		req     tg.MessagesGetHistoryRequest
		want    []int
		wantErr error
	}{
		{name: "newest first", req: tg.MessagesGetHistoryRequest{Limit: 3}, want: []int{10, 9, 8}},
		{name: "offset id", req: tg.MessagesGetHistoryRequest{OffsetID: 8, Limit: 3}, want: []int{7, 6, 4}},
		{name: "add offset", req: tg.MessagesGetHistoryRequest{OffsetID: 8, AddOffset: -2, Limit: 4}, want: []int{9, 8, 7, 6}},
		{name: "min id", req: tg.MessagesGetHistoryRequest{MinID: 7}, want: []int{10, 9, 8}},
		{name: "max id", req: tg.MessagesGetHistoryRequest{MaxID: 4}, want: []int{3, 2, 1}},
		{name: "past the end", req: tg.MessagesGetHistoryRequest{OffsetID: 1, Limit: 3}, want: nil},
		{name: "bad peer", req: tg.MessagesGetHistoryRequest{Peer: &tg.InputPeerChannel{ChannelID: c.ID, AccessHash: 1}}, wantErr: tgerr.New(400, "CHANNEL_INVALID")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			if req.Peer == nil {
				req.Peer = peer
			}
			res, err := mainAPI.MessagesGetHistory(testCtx(t), &req)
			if tt.wantErr != nil {
				var want *tgerr.Error
				errors.As(tt.wantErr, &want)
				if !tgerr.Is(err, want.Type) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cm, ok := res.(*tg.MessagesChannelMessages)
			if !ok {
				t.Fatalf("result %T, want messages.channelMessages", res)
			}
			if got := messageIDs(cm.Messages); !slices.Equal(got, tt.want) {
				t.Errorf("ids %v, want %v", got, tt.want)
			}
			if cm.Count != 9 {
				t.Errorf("count %d, want 9", cm.Count)
			}
		})
	}

	t.Run("private chat", func(t *testing.T) {
		u := newTestUser(t)
		ids := sendN(t, shared, "main", schema.PeerRef{Kind: schema.PeerUser, ID: u}, 2)
		shared.mu.Lock()
		hash := shared.w.users[u].AccessHash
		shared.mu.Unlock()
		res, err := mainAPI.MessagesGetHistory(testCtx(t), &tg.MessagesGetHistoryRequest{Peer: &tg.InputPeerUser{UserID: u, AccessHash: hash}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		m, ok := res.(*tg.MessagesMessages)
		if !ok || !slices.Equal(messageIDs(m.Messages), []int{ids[1], ids[0]}) {
			t.Fatalf("history %v, want messages %v newest first", res, ids)
		}
	})
}
