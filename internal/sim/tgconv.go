package sim

import (
	"slices"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// Conversions of the world into the tg types a client receives. All of
// them run with the world locked.

// refs collects the users and chats a response references.
type refs struct {
	users map[int64]bool
	chats map[schema.PeerRef]bool
}

func newRefs() *refs {
	return &refs{users: map[int64]bool{}, chats: map[schema.PeerRef]bool{}}
}

func (r *refs) peer(p schema.PeerRef) {
	if p.Kind == schema.PeerUser {
		r.users[p.ID] = true
	} else {
		r.chats[p] = true
	}
}

func (r *refs) message(m *message) {
	r.peer(m.Peer)
	if m.From != 0 {
		r.users[m.From] = true
	}
	if m.Fwd != nil {
		r.users[m.Fwd.From] = true
	}
	for _, u := range m.SvcUsers {
		r.users[u] = true
	}
}

func (w *world) tgUsers(viewer *account, r *refs) []tg.UserClass {
	ids := make([]int64, 0, len(r.users))
	for id := range r.users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]tg.UserClass, 0, len(ids))
	for _, id := range ids {
		if u := w.tgUser(viewer, id); u != nil {
			out = append(out, u)
		}
	}
	return out
}

func (w *world) tgChats(r *refs) []tg.ChatClass {
	keys := make([]schema.PeerRef, 0, len(r.chats))
	for p := range r.chats {
		keys = append(keys, p)
	}
	slices.SortFunc(keys, func(a, b schema.PeerRef) int {
		if a.Kind != b.Kind {
			if a.Kind < b.Kind {
				return -1
			}
			return 1
		}
		return int(a.ID - b.ID)
	})
	out := make([]tg.ChatClass, 0, len(keys))
	for _, p := range keys {
		if c := w.tgChat(p); c != nil {
			out = append(out, c)
		}
	}
	return out
}

func (w *world) tgUser(viewer *account, id int64) *tg.User {
	u, ok := w.users[id]
	if !ok {
		return nil
	}
	t := &tg.User{
		ID: u.ID, AccessHash: u.AccessHash, FirstName: u.First, LastName: u.Last, Username: u.Username,
		Bot: u.Bot, Self: viewer != nil && viewer.UserID == id, Phone: u.Phone,
	}
	if u.EmojiStatus != 0 {
		t.EmojiStatus = &tg.EmojiStatus{DocumentID: u.EmojiStatus}
	}
	return t
}

func (w *world) tgChat(p schema.PeerRef) tg.ChatClass {
	switch p.Kind {
	case schema.PeerChat:
		c, ok := w.chats[p.ID]
		if !ok {
			return nil
		}
		return &tg.Chat{ID: c.ID, Title: c.Title, Photo: &tg.ChatPhotoEmpty{},
			ParticipantsCount: len(c.Members) + len(w.accounts), Date: c.Date, Version: 1}
	case schema.PeerChannel:
		c, ok := w.channels[p.ID]
		if !ok {
			return nil
		}
		return &tg.Channel{ID: c.ID, AccessHash: c.AccessHash, Title: c.Title, Username: c.Username, Photo: &tg.ChatPhotoEmpty{},
			Date: c.Date, Broadcast: c.Broadcast, Megagroup: !c.Broadcast,
			ParticipantsCount: len(c.Members) + len(w.accounts)}
	}
	return nil
}

// tgEntities renders entities as Telegram delivers them (see
// tgconv.EntityTL); a type tgconv does not know, such as unsupported,
// becomes messageEntityUnknown.
func tgEntities(es []schema.Entity) []tg.MessageEntityClass {
	var out []tg.MessageEntityClass
	for _, e := range es {
		t, ok := tgconv.EntityTL(e)
		if !ok {
			t = &tg.MessageEntityUnknown{Offset: e.Offset, Length: e.Length}
		}
		out = append(out, t)
	}
	return out
}

func tgFwd(f *forward) tg.MessageFwdHeader {
	if f == nil {
		return tg.MessageFwdHeader{}
	}
	if f.Channel != 0 {
		h := tg.MessageFwdHeader{FromID: tgconv.PeerTL(schema.PeerRef{Kind: schema.PeerChannel, ID: f.Channel}), Date: f.Date}
		h.SetChannelPost(f.Post)
		return h
	}
	return tg.MessageFwdHeader{FromID: tgconv.PeerTL(schema.PeerRef{Kind: schema.PeerUser, ID: f.From}), Date: f.Date}
}

func (w *world) tgMedia(m *message) tg.MessageMediaClass {
	info := mediaInfo{ID: m.MediaID, Kind: m.Media, Size: m.MediaSize, Mime: m.MediaMime, Name: m.MediaName, Attr: m.MediaAttr}
	info.setDefaults()
	if mi, ok := w.media[m.MediaID]; ok {
		info.DC = mi.DC
	}
	switch m.Media {
	case mediaLink:
		return &tg.MessageMediaWebPage{Webpage: tgWebPage(m)}
	case "photo":
		return &tg.MessageMediaPhoto{Photo: &tg.Photo{
			ID: m.MediaID, AccessHash: accessHash("photo", m.MediaID), FileReference: w.fileReference(m.MediaID), Date: m.Date, DCID: info.dc(),
			Sizes: []tg.PhotoSizeClass{
				&tg.PhotoStrippedSize{Type: "i", Bytes: []byte{1, 40, 30}},
				&tg.PhotoSize{Type: "m", W: 320, H: 240, Size: int(info.Size / 4)},
				&tg.PhotoSize{Type: "x", W: 800, H: 600, Size: int(info.Size)},
			},
		}}
	case "document":
		attrs := []tg.DocumentAttributeClass{&tg.DocumentAttributeFilename{FileName: info.Name}}
		switch info.Attr {
		case "video":
			attrs = append(attrs, &tg.DocumentAttributeVideo{Duration: 1, W: 640, H: 480})
		case "voice", "audio":
			attrs = append(attrs, &tg.DocumentAttributeAudio{Voice: info.Attr == "voice", Duration: 1})
		}
		var thumbs []tg.PhotoSizeClass
		if info.Attr == "video" {
			thumbs = []tg.PhotoSizeClass{&tg.PhotoSize{Type: "m", W: 320, H: 240, Size: 4096}}
		}
		return &tg.MessageMediaDocument{Document: &tg.Document{
			ID: m.MediaID, AccessHash: accessHash("document", m.MediaID), FileReference: w.fileReference(m.MediaID), Date: m.Date, DCID: info.dc(),
			MimeType: info.Mime, Size: info.Size, Attributes: attrs, Thumbs: thumbs,
		}}
	}
	return nil
}

// tgMessage renders m as viewer sees it.
func (w *world) tgMessage(viewer *account, m *message) tg.MessageClass {
	out := m.Out
	if m.Peer.Kind == schema.PeerChannel {
		out = m.From != 0 && viewer != nil && m.From == viewer.UserID
	}
	var from tg.PeerClass
	if m.From != 0 {
		from = tgconv.PeerTL(schema.PeerRef{Kind: schema.PeerUser, ID: m.From})
	}
	if m.Service != "" {
		return &tg.MessageService{
			ID: m.ID, Out: out, FromID: from, PeerID: tgconv.PeerTL(m.Peer), Date: m.Date,
			Action: &tg.MessageActionChatAddUser{Users: slices.Clone(m.SvcUsers)},
		}
	}
	msg := &tg.Message{
		ID: m.ID, Out: out, Post: m.Post, FromID: from, PeerID: tgconv.PeerTL(m.Peer), Date: m.Date, EditDate: m.EditDate,
		Message: m.Text, Entities: tgEntities(m.Entities), FwdFrom: tgFwd(m.Fwd), ReplyTo: replyHeader(m),
		Media: w.tgMedia(m), Pinned: m.Pinned,
	}
	if m.Poll != nil {
		var self int64
		if viewer != nil {
			self = viewer.UserID
		}
		msg.Media = tgPollMedia(m.Poll, self)
	}
	if len(m.Reactions) > 0 {
		var self int64
		if viewer != nil {
			self = viewer.UserID
		}
		msg.SetReactions(tg.MessageReactions{Results: tgReactionCounts(reactionCounts(self, m.Reactions))})
	}
	return msg
}

// tgEventUpdate renders a box event as the update Telegram pushes for it
// (not used for new messages in differences, which go to new_messages).
func (w *world) tgEventUpdate(viewer *account, channelID int64, ev *event) tg.UpdateClass {
	if channelID != 0 {
		switch ev.Kind {
		case evNew:
			return &tg.UpdateNewChannelMessage{Message: w.tgMessage(viewer, &ev.Msg), Pts: ev.Pts, PtsCount: ev.PtsCount}
		case evEdit:
			return &tg.UpdateEditChannelMessage{Message: w.tgMessage(viewer, &ev.Msg), Pts: ev.Pts, PtsCount: ev.PtsCount}
		case evEmpty:
			return &tg.UpdateNewChannelMessage{Message: &tg.MessageEmpty{ID: ev.Msg.ID}, Pts: ev.Pts, PtsCount: ev.PtsCount}
		case evWebPage:
			return &tg.UpdateChannelWebPage{ChannelID: channelID, Webpage: tgWebPage(&ev.Msg), Pts: ev.Pts, PtsCount: ev.PtsCount}
		case evPin:
			return &tg.UpdatePinnedChannelMessages{Pinned: !ev.Unpin, ChannelID: channelID, Messages: slices.Clone(ev.IDs), Pts: ev.Pts, PtsCount: ev.PtsCount}
		default:
			return &tg.UpdateDeleteChannelMessages{ChannelID: channelID, Messages: slices.Clone(ev.IDs), Pts: ev.Pts, PtsCount: ev.PtsCount}
		}
	}
	switch ev.Kind {
	case evNew:
		return &tg.UpdateNewMessage{Message: w.tgMessage(viewer, &ev.Msg), Pts: ev.Pts, PtsCount: ev.PtsCount}
	case evEdit:
		return &tg.UpdateEditMessage{Message: w.tgMessage(viewer, &ev.Msg), Pts: ev.Pts, PtsCount: ev.PtsCount}
	case evRead, evReadOut:
		return tgReadUpdate(ev)
	case evWebPage:
		return &tg.UpdateWebPage{Webpage: tgWebPage(&ev.Msg), Pts: ev.Pts, PtsCount: ev.PtsCount}
	case evPin:
		return &tg.UpdatePinnedMessages{Pinned: !ev.Unpin, Peer: tgconv.PeerTL(ev.Msg.Peer), Messages: slices.Clone(ev.IDs), Pts: ev.Pts, PtsCount: ev.PtsCount}
	default:
		return &tg.UpdateDeleteMessages{Messages: slices.Clone(ev.IDs), Pts: ev.Pts, PtsCount: ev.PtsCount}
	}
}

func (w *world) eventRefs(r *refs, channelID int64, ev *event) {
	if channelID != 0 {
		r.chats[schema.PeerRef{Kind: schema.PeerChannel, ID: channelID}] = true
	}
	if ev.Kind != evDelete && ev.Kind != evEmpty {
		r.message(&ev.Msg)
	}
}

// buildPush renders a push as the tg.UpdatesClass Telegram would send.
func (w *world) buildPush(p push) tg.UpdatesClass {
	a := w.byName[p.Account]
	if p.TooLong {
		return &tg.UpdatesTooLong{}
	}
	if q := p.Callback; q != nil {
		r := newRefs()
		r.users[q.From] = true
		r.peer(q.Chat)
		return &tg.Updates{Updates: []tg.UpdateClass{botQueryUpdate(q)}, Users: w.tgUsers(a, r), Chats: w.tgChats(r), Date: q.Date}
	}
	if q := p.Qts; q != nil {
		r := newRefs()
		q.refs(r)
		return &tg.Updates{Updates: []tg.UpdateClass{q.update()}, Users: w.tgUsers(a, r), Chats: w.tgChats(r), Date: q.Date}
	}
	if x := p.Reactions; x != nil {
		return w.buildReactions(a, x)
	}
	if x := p.Pushed; x != nil {
		r := newRefs()
		r.peer(x.Chat)
		for _, u := range x.Users {
			r.users[u] = true
		}
		users := w.tgUsers(a, r)
		if x.Frozen != nil {
			users = x.Frozen
		}
		return &tg.Updates{Updates: []tg.UpdateClass{x.Update}, Users: users, Chats: w.tgChats(r), Date: x.Date}
	}
	if x := p.Poll; x != nil {
		return w.buildPoll(x)
	}
	if lu := p.Live; lu != nil {
		r := newRefs()
		r.users[lu.From] = true
		r.peer(lu.Chat)
		return &tg.Updates{Updates: []tg.UpdateClass{lu.update()}, Users: w.tgUsers(a, r), Chats: w.tgChats(r), Date: lu.Date}
	}
	if pu := p.Profile; pu != nil {
		r := newRefs()
		pu.refs(r)
		chats := w.tgChats(r)
		for _, c := range chats {
			if c, ok := c.(*tg.Channel); ok && w.channels[c.ID] != nil {
				c.Date = w.channels[c.ID].dateFor(a.Name) // updateChannel of a join says when
			}
		}
		return &tg.Updates{Updates: []tg.UpdateClass{pu.update()}, Users: w.tgUsers(a, r), Chats: chats, Date: pu.Date}
	}
	ev := &p.Event
	if p.Short {
		m := &ev.Msg
		if m.Peer.Kind == schema.PeerChat {
			return &tg.UpdateShortChatMessage{
				Out: m.Out, ID: m.ID, FromID: m.From, ChatID: m.Peer.ID, Message: m.Text,
				Pts: ev.Pts, PtsCount: ev.PtsCount, Date: m.Date, FwdFrom: tgFwd(m.Fwd),
				ReplyTo: replyHeader(m), Entities: tgEntities(m.Entities),
			}
		}
		return &tg.UpdateShortMessage{
			Out: m.Out, ID: m.ID, UserID: m.Peer.ID, Message: m.Text,
			Pts: ev.Pts, PtsCount: ev.PtsCount, Date: m.Date, FwdFrom: tgFwd(m.Fwd),
			ReplyTo: replyHeader(m), Entities: tgEntities(m.Entities),
		}
	}
	r := newRefs()
	w.eventRefs(r, p.Channel, ev)
	seq := ev.Seq
	if p.Channel != 0 || ev.NoSeq {
		seq = 0
	}
	return &tg.Updates{
		Updates: []tg.UpdateClass{w.tgEventUpdate(a, p.Channel, ev)},
		Users:   w.tgUsers(a, r),
		Chats:   w.tgChats(r),
		Date:    ev.Date,
		Seq:     seq,
	}
}
