package egress

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// uploadPartSize is the size of upload.saveFilePart parts (Telegram allows
// up to 512 KiB, a divisor of 512 KiB).
const uploadPartSize = 512 << 10

// target is a resolved chat.
type target struct {
	peer  state.Peer
	input tg.InputPeerClass
}

func (t target) chatKey() string { return t.peer.Ref().PartitionKey() }

func (t target) channel() *tg.InputChannel {
	return &tg.InputChannel{ChannelID: t.peer.ID, AccessHash: t.peer.AccessHash}
}

func inputPeer(p state.Peer) tg.InputPeerClass {
	switch p.Kind {
	case schema.PeerUser:
		return &tg.InputPeerUser{UserID: p.ID, AccessHash: p.AccessHash}
	case schema.PeerChat:
		return &tg.InputPeerChat{ChatID: p.ID}
	default:
		return &tg.InputPeerChannel{ChannelID: p.ID, AccessHash: p.AccessHash}
	}
}

// randomID derives the i-th random_id of a command: the first 8 bytes of
// sha256(account+key) for i 0, sha256(account+key+"/"+i) after, so a retry
// after a crash is recognised by Telegram (RANDOM_ID_DUPLICATE). Commands
// without a key get fresh random ids, fixed for the life of the attempt.
func (c *command) randomID(account string, i int) int64 {
	if c.key == "" {
		for len(c.randomIDs) <= i {
			var b [8]byte
			_, _ = rand.Read(b[:])
			c.randomIDs = append(c.randomIDs, int64(binary.BigEndian.Uint64(b[:])))
		}
		return c.randomIDs[i]
	}
	s := account + c.key
	if i > 0 {
		s += "/" + strconv.Itoa(i)
	}
	sum := sha256.Sum256([]byte(s))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// call runs one Telegram call about chat ("" for none) under the rate
// limits, and honours FLOOD_WAIT: the chat (or everything) pauses; an rpc
// command waits and retries when the pause ends before its deadline, a
// stream command returns a *retryLater so the message is redelivered then.
func (e *Egress) call(ctx context.Context, c *command, chat string, fn func(context.Context) error) error {
	for {
		if err := e.lim.wait(ctx, chat, c.deadline); err != nil {
			return err
		}
		c.called = true
		err := fn(ctx)
		d, ok := tgerr.AsFloodWait(err)
		if !ok {
			return err
		}
		e.lim.flood(chat, d)
		if e.cfg.Now().Add(d).After(c.deadline) {
			return err
		}
		if c.stream {
			return &retryLater{after: d, err: err}
		}
	}
}

// retryLater asks for the stream message to be redelivered after a wait.
type retryLater struct {
	after time.Duration
	err   error
}

func (r *retryLater) Error() string { return fmt.Sprintf("retry in %v: %v", r.after, r.err) }
func (r *retryLater) Unwrap() error { return r.err }

// updates hands a call's updates to the ingest engine.
func (e *Egress) updates(ctx context.Context, u tg.UpdatesClass) {
	if u == nil {
		return
	}
	e.clock.observe(updatesDate(u))
	if e.cfg.Updates == nil {
		return
	}
	if err := e.cfg.Updates(ctx, u); err != nil {
		e.log.Warn("updates of a command not handed to ingest", "error", err)
	}
}

// affected turns the pts of a delete or read into the update Telegram does
// not push to the session that made the call, for ingest's pts bookkeeping,
// dated by Telegram's clock (the answer has no date).
func (e *Egress) affected(ctx context.Context, a *tg.MessagesAffectedMessages, u tg.UpdateClass) {
	if a == nil {
		return
	}
	e.updates(ctx, &tg.Updates{Updates: []tg.UpdateClass{u}, Date: e.clock.date()})
}

// run executes a parsed command on Telegram.
func (e *Egress) run(ctx context.Context, c *command, cmd schema.Command, ts []target) (*schema.CommandOutput, error) {
	switch cmd := cmd.(type) {
	case *schema.SendMessage:
		return e.sendMessage(ctx, c, cmd, ts[0])
	case *schema.EditMessage:
		return e.editMessage(ctx, c, cmd, ts[0])
	case *schema.DeleteMessages:
		return e.deleteMessages(ctx, c, cmd, ts[0])
	case *schema.ForwardMessages:
		return e.forwardMessages(ctx, c, cmd, ts[0], ts[1])
	case *schema.PinMessage:
		return e.pin(ctx, c, ts[0], cmd.MessageID, cmd.Silent, false)
	case *schema.UnpinMessage:
		return e.pin(ctx, c, ts[0], cmd.MessageID, false, true)
	case *schema.SendReaction:
		req := &tg.MessagesSendReactionRequest{Peer: ts[0].input, MsgID: cmd.MessageID, Big: cmd.Big}
		if cmd.Reaction != "" {
			req.Reaction = []tg.ReactionClass{&tg.ReactionEmoji{Emoticon: cmd.Reaction}}
		}
		return e.updatesCall(ctx, c, ts[0], func(ctx context.Context) (tg.UpdatesClass, error) {
			return e.cfg.API.MessagesSendReaction(ctx, req)
		}, &schema.CommandOutput{MessageID: cmd.MessageID})
	case *schema.ChatAction:
		req := &tg.MessagesSetTypingRequest{Peer: ts[0].input, Action: chatAction(cmd.Activity)}
		err := e.call(ctx, c, ts[0].chatKey(), func(ctx context.Context) error {
			_, err := e.cfg.API.MessagesSetTyping(ctx, req)
			return err
		})
		return &schema.CommandOutput{}, err
	case *schema.MarkRead:
		return e.markRead(ctx, c, cmd, ts[0])
	case *schema.AnswerCallback:
		id, _ := cmd.ID()
		req := &tg.MessagesSetBotCallbackAnswerRequest{QueryID: id, Message: cmd.Text, Alert: cmd.Alert, URL: cmd.URL, CacheTime: cmd.CacheTime}
		err := e.call(ctx, c, "", func(ctx context.Context) error {
			_, err := e.cfg.API.MessagesSetBotCallbackAnswer(ctx, req)
			return err
		})
		return &schema.CommandOutput{}, err
	case *schema.SendMedia:
		return e.sendMedia(ctx, c, cmd, ts[0])
	}
	return nil, schema.NewCommandError(schema.CodeUnknownAction, "action %q is not served", cmd.Action())
}

func (e *Egress) userHash(id int64) int64 {
	p, err := e.cfg.Store.Peer(schema.PeerRef{Kind: schema.PeerUser, ID: id})
	if err != nil {
		return 0
	}
	return p.AccessHash
}

func replyTo(msgID, topID int) tg.InputReplyToClass {
	if msgID == 0 && topID == 0 {
		return nil
	}
	if msgID == 0 {
		msgID = topID // a message to a forum topic replies to its top message
	}
	return &tg.InputReplyToMessage{ReplyToMsgID: msgID, TopMsgID: topID}
}

func (e *Egress) sendMessage(ctx context.Context, c *command, cmd *schema.SendMessage, t target) (*schema.CommandOutput, error) {
	text, ents, err := format(cmd.Text, cmd.ParseMode, cmd.Entities, e.userHash)
	if err != nil {
		return nil, err
	}
	rid := c.randomID(e.cfg.Account, 0)
	req := &tg.MessagesSendMessageRequest{
		Peer: t.input, Message: text, Entities: ents, RandomID: rid,
		ReplyTo: replyTo(cmd.ReplyTo, cmd.TopMsgID), Silent: cmd.Silent, NoWebpage: cmd.NoWebpage,
		ReplyMarkup: replyMarkup(cmd.ReplyMarkup),
	}
	if cmd.ScheduleDate != nil {
		req.ScheduleDate = int(cmd.ScheduleDate.Unix())
	}
	asSent := sentMessage{text: req.Message, entities: req.Entities, replyTo: req.ReplyTo, silent: req.Silent, markup: req.ReplyMarkup}
	return e.sendCall(ctx, c, t, []int64{rid}, func(ctx context.Context) (tg.UpdatesClass, error) {
		u, err := e.cfg.API.MessagesSendMessage(ctx, req)
		if s, ok := u.(*tg.UpdateShortSentMessage); ok && err == nil {
			return expandShortSent(s, asSent, t.peer), nil
		}
		return u, err
	})
}

// sendCall runs a call that sends messages with random ids and reads the
// new messages' ids from its updates.
func (e *Egress) sendCall(ctx context.Context, c *command, t target, rids []int64, fn func(context.Context) (tg.UpdatesClass, error)) (*schema.CommandOutput, error) {
	var u tg.UpdatesClass
	err := e.call(ctx, c, t.chatKey(), func(ctx context.Context) error {
		var err error
		u, err = fn(ctx)
		return err
	})
	if tgerr.Is(err, "RANDOM_ID_DUPLICATE") {
		c.duplicate = true
		return &schema.CommandOutput{}, nil
	}
	if err != nil {
		return nil, err
	}
	e.updates(ctx, u)
	return sent(u, rids), nil
}

// updatesCall runs a call answered with updates and hands them on.
func (e *Egress) updatesCall(ctx context.Context, c *command, t target, fn func(context.Context) (tg.UpdatesClass, error), out *schema.CommandOutput) (*schema.CommandOutput, error) {
	var u tg.UpdatesClass
	err := e.call(ctx, c, t.chatKey(), func(ctx context.Context) error {
		var err error
		u, err = fn(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	e.updates(ctx, u)
	return out, nil
}

func (e *Egress) editMessage(ctx context.Context, c *command, cmd *schema.EditMessage, t target) (*schema.CommandOutput, error) {
	req := &tg.MessagesEditMessageRequest{Peer: t.input, ID: cmd.MessageID, NoWebpage: cmd.NoWebpage, ReplyMarkup: replyMarkup(cmd.ReplyMarkup)}
	if cmd.Text != nil {
		text, ents, err := format(*cmd.Text, cmd.ParseMode, cmd.Entities, e.userHash)
		if err != nil {
			return nil, err
		}
		req.Message, req.Entities = text, ents
		req.SetMessage(text) // an edit to "" is not possible; a set flag says "change the text"
	}
	var u tg.UpdatesClass
	err := e.call(ctx, c, t.chatKey(), func(ctx context.Context) error {
		var err error
		u, err = e.cfg.API.MessagesEditMessage(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	e.updates(ctx, u)
	out := &schema.CommandOutput{MessageID: cmd.MessageID}
	for _, up := range updateList(u) {
		var m tg.MessageClass
		switch up := up.(type) {
		case *tg.UpdateEditMessage:
			m = up.Message
		case *tg.UpdateEditChannelMessage:
			m = up.Message
		}
		if msg, ok := m.(*tg.Message); ok && msg.ID == cmd.MessageID && msg.EditDate != 0 {
			d := time.Unix(int64(msg.EditDate), 0).UTC()
			out.Date = &d
		}
	}
	return out, nil
}

func (e *Egress) deleteMessages(ctx context.Context, c *command, cmd *schema.DeleteMessages, t target) (*schema.CommandOutput, error) {
	var a *tg.MessagesAffectedMessages
	err := e.call(ctx, c, t.chatKey(), func(ctx context.Context) error {
		var err error
		if t.peer.Kind == schema.PeerChannel {
			a, err = e.cfg.API.ChannelsDeleteMessages(ctx, &tg.ChannelsDeleteMessagesRequest{Channel: t.channel(), ID: cmd.MessageIDs})
		} else {
			revoke := cmd.Revoke == nil || *cmd.Revoke
			a, err = e.cfg.API.MessagesDeleteMessages(ctx, &tg.MessagesDeleteMessagesRequest{ID: cmd.MessageIDs, Revoke: revoke})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if a != nil {
		if t.peer.Kind == schema.PeerChannel {
			e.affected(ctx, a, &tg.UpdateDeleteChannelMessages{ChannelID: t.peer.ID, Messages: cmd.MessageIDs, Pts: a.Pts, PtsCount: a.PtsCount})
		} else {
			e.affected(ctx, a, &tg.UpdateDeleteMessages{Messages: cmd.MessageIDs, Pts: a.Pts, PtsCount: a.PtsCount})
		}
	}
	return &schema.CommandOutput{MessageIDs: cmd.MessageIDs}, nil
}

func (e *Egress) forwardMessages(ctx context.Context, c *command, cmd *schema.ForwardMessages, to, from target) (*schema.CommandOutput, error) {
	rids := make([]int64, len(cmd.MessageIDs))
	for i := range rids {
		rids[i] = c.randomID(e.cfg.Account, i)
	}
	req := &tg.MessagesForwardMessagesRequest{FromPeer: from.input, ToPeer: to.input, ID: cmd.MessageIDs, RandomID: rids, Silent: cmd.Silent, DropAuthor: cmd.DropAuthor}
	return e.sendCall(ctx, c, to, rids, func(ctx context.Context) (tg.UpdatesClass, error) {
		return e.cfg.API.MessagesForwardMessages(ctx, req)
	})
}

func (e *Egress) pin(ctx context.Context, c *command, t target, id int, silent, unpin bool) (*schema.CommandOutput, error) {
	req := &tg.MessagesUpdatePinnedMessageRequest{Peer: t.input, ID: id, Silent: silent, Unpin: unpin}
	return e.updatesCall(ctx, c, t, func(ctx context.Context) (tg.UpdatesClass, error) {
		return e.cfg.API.MessagesUpdatePinnedMessage(ctx, req)
	}, &schema.CommandOutput{MessageID: id})
}

func (e *Egress) markRead(ctx context.Context, c *command, cmd *schema.MarkRead, t target) (*schema.CommandOutput, error) {
	var a *tg.MessagesAffectedMessages
	err := e.call(ctx, c, t.chatKey(), func(ctx context.Context) error {
		var err error
		if t.peer.Kind == schema.PeerChannel {
			_, err = e.cfg.API.ChannelsReadHistory(ctx, &tg.ChannelsReadHistoryRequest{Channel: t.channel(), MaxID: cmd.MaxID})
			return err
		}
		a, err = e.cfg.API.MessagesReadHistory(ctx, &tg.MessagesReadHistoryRequest{Peer: t.input, MaxID: cmd.MaxID})
		return err
	})
	if err != nil {
		return nil, err
	}
	if a != nil {
		var peer tg.PeerClass = &tg.PeerUser{UserID: t.peer.ID}
		if t.peer.Kind == schema.PeerChat {
			peer = &tg.PeerChat{ChatID: t.peer.ID}
		}
		e.affected(ctx, a, &tg.UpdateReadHistoryInbox{Peer: peer, MaxID: cmd.MaxID, Pts: a.Pts, PtsCount: a.PtsCount})
	}
	return &schema.CommandOutput{MessageID: cmd.MaxID}, nil
}

func (e *Egress) sendMedia(ctx context.Context, c *command, cmd *schema.SendMedia, t target) (*schema.CommandOutput, error) {
	caption, ents, err := format(cmd.Caption, cmd.ParseMode, cmd.Entities, e.userHash)
	if err != nil {
		return nil, err
	}
	media, err := e.inputMedia(ctx, c, cmd.Media)
	if err != nil {
		return nil, err
	}
	rid := c.randomID(e.cfg.Account, 0)
	req := &tg.MessagesSendMediaRequest{Peer: t.input, Media: media, Message: caption, Entities: ents, RandomID: rid,
		ReplyTo: replyTo(cmd.ReplyTo, 0), Silent: cmd.Silent}
	asSent := sentMessage{text: req.Message, entities: req.Entities, replyTo: req.ReplyTo, silent: req.Silent}
	return e.sendCall(ctx, c, t, []int64{rid}, func(ctx context.Context) (tg.UpdatesClass, error) {
		u, err := e.cfg.API.MessagesSendMedia(ctx, req)
		if s, ok := u.(*tg.UpdateShortSentMessage); ok && err == nil {
			return expandShortSent(s, asSent, t.peer), nil
		}
		return u, err
	})
}

// inputMedia builds the media: a reference to a known file, or an upload.
func (e *Egress) inputMedia(ctx context.Context, c *command, m schema.MediaInput) (tg.InputMediaClass, error) {
	if m.FileRef != "" {
		ref, err := tgconv.ParseFileRef(m.FileRef)
		if err != nil {
			return nil, schema.NewCommandError(schema.CodeInvalidArgument, "media.file_ref: not a file_ref from an event")
		}
		switch {
		case ref.Kind == tgconv.FilePhoto && m.Type == "photo":
			return &tg.InputMediaPhoto{ID: &tg.InputPhoto{ID: ref.ID, AccessHash: ref.AccessHash, FileReference: ref.FileReference}}, nil
		case ref.Kind == tgconv.FileDocument && m.Type != "photo":
			return &tg.InputMediaDocument{ID: &tg.InputDocument{ID: ref.ID, AccessHash: ref.AccessHash, FileReference: ref.FileReference}}, nil
		}
		return nil, schema.NewCommandError(schema.CodeInvalidArgument, "media.file_ref: refers to a %s, not a %s", ref.Kind, m.Type)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	fileID := int64(binary.BigEndian.Uint64(b[:]))
	parts := 0
	for off := 0; off < len(m.Data); off += uploadPartSize {
		part := m.Data[off:min(off+uploadPartSize, len(m.Data))]
		req := &tg.UploadSaveFilePartRequest{FileID: fileID, FilePart: parts, Bytes: part}
		c.called = true
		if _, err := e.cfg.API.UploadSaveFilePart(ctx, req); err != nil {
			return nil, fmt.Errorf("upload part %d: %w", parts, err)
		}
		parts++
	}
	name := m.FileName
	if name == "" {
		name = "file"
	}
	file := &tg.InputFile{ID: fileID, Parts: parts, Name: name}
	if m.Type == "photo" {
		return &tg.InputMediaUploadedPhoto{File: file}, nil
	}
	mime := m.MimeType
	attrs := []tg.DocumentAttributeClass{&tg.DocumentAttributeFilename{FileName: name}}
	switch m.Type {
	case "voice":
		mime = cmp(mime, "audio/ogg")
		attrs = append(attrs, &tg.DocumentAttributeAudio{Voice: true})
	case "audio":
		mime = cmp(mime, "audio/mpeg")
		attrs = append(attrs, &tg.DocumentAttributeAudio{})
	case "video":
		mime = cmp(mime, "video/mp4")
		attrs = append(attrs, &tg.DocumentAttributeVideo{SupportsStreaming: true})
	default:
		mime = cmp(mime, "application/octet-stream")
	}
	return &tg.InputMediaUploadedDocument{File: file, MimeType: mime, Attributes: attrs, ForceFile: m.Type == "document"}, nil
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// updateList flattens the updates of a call's result.
func updateList(u tg.UpdatesClass) []tg.UpdateClass {
	switch u := u.(type) {
	case *tg.Updates:
		return u.Updates
	case *tg.UpdatesCombined:
		return u.Updates
	case *tg.UpdateShort:
		return []tg.UpdateClass{u.Update}
	}
	return nil
}

// sent reads the ids and date of messages sent with rids from a result.
func sent(u tg.UpdatesClass, rids []int64) *schema.CommandOutput {
	out := &schema.CommandOutput{}
	if s, ok := u.(*tg.UpdateShortSentMessage); ok {
		d := time.Unix(int64(s.Date), 0).UTC()
		out.MessageID, out.Date = s.ID, &d
		return out
	}
	byRandom := map[int64]int{}
	dates := map[int]int{}
	var news []int
	for _, up := range updateList(u) {
		var m tg.MessageClass
		switch up := up.(type) {
		case *tg.UpdateMessageID:
			byRandom[up.RandomID] = up.ID
		case *tg.UpdateNewMessage:
			m = up.Message
		case *tg.UpdateNewChannelMessage:
			m = up.Message
		case *tg.UpdateNewScheduledMessage:
			m = up.Message
		}
		if msg, ok := m.(*tg.Message); ok {
			dates[msg.ID] = msg.Date
			news = append(news, msg.ID)
		}
	}
	for _, rid := range rids {
		if id, ok := byRandom[rid]; ok {
			out.MessageIDs = append(out.MessageIDs, id)
		}
	}
	if len(out.MessageIDs) == 0 {
		out.MessageIDs = news
	}
	if len(out.MessageIDs) > 0 {
		out.MessageID = out.MessageIDs[0]
		if d, ok := dates[out.MessageID]; ok {
			t := time.Unix(int64(d), 0).UTC()
			out.Date = &t
		}
	}
	if len(rids) <= 1 {
		out.MessageIDs = nil
	}
	return out
}
