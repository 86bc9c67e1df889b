package egress

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/gotd/td/tg"

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

// handler executes the body of one command on Telegram; ts are the chats
// of the command's Peers, resolved, in the same order.
type handler struct {
	body reflect.Type // the type of body run takes
	run  func(e *Egress, ctx context.Context, c *command, body schema.Body, ts []target) (*schema.CommandOutput, error)
}

// handle makes the handler of a body type from a method of Egress.
func handle[B schema.Body](f func(e *Egress, ctx context.Context, c *command, body B, ts []target) (*schema.CommandOutput, error)) handler {
	return handler{
		body: reflect.TypeFor[B](),
		run: func(e *Egress, ctx context.Context, c *command, body schema.Body, ts []target) (*schema.CommandOutput, error) {
			return f(e, ctx, c, body.(B), ts)
		},
	}
}

// handlers is the dispatch table, by command name; a test checks that
// every command of schema's registry has its handler.
var handlers = map[string]handler{
	schema.CommandMessageSend:    handle((*Egress).sendMessage),
	schema.CommandMessageEdit:    handle((*Egress).editMessage),
	schema.CommandMessageDelete:  handle((*Egress).deleteMessages),
	schema.CommandMessageForward: handle((*Egress).forwardMessages),
	schema.CommandMessagePin:     handle((*Egress).pinMessage),
	schema.CommandMessageUnpin:   handle((*Egress).unpinMessage),
	schema.CommandReactionSend:   handle((*Egress).sendReaction),
	schema.CommandChatAction:     handle((*Egress).setChatAction),
	schema.CommandReadMark:       handle((*Egress).markRead),
	schema.CommandCallbackAnswer: handle((*Egress).answerCallback),
	schema.CommandMediaSend:      handle((*Egress).sendMedia),
	schema.CommandMediaDownload:  handle((*Egress).downloadMedia), // files.go
	// Answers to bot queries (bot_answers.go).
	schema.CommandInlineAnswer:      handle((*Egress).answerInline),
	schema.CommandPrecheckoutAnswer: handle((*Egress).answerPrecheckout),
	schema.CommandShippingAnswer:    handle((*Egress).answerShipping),
}

// run executes a parsed command on Telegram.
func (e *Egress) run(ctx context.Context, c *command, cmd schema.Command, ts []target) (*schema.CommandOutput, error) {
	h, ok := handlers[cmd.Name()]
	if !ok {
		return nil, schema.NewCommandError(schema.CodeUnknownAction, "action %q is not served", cmd.Name())
	}
	return h.run(e, ctx, c, cmd.Body, ts)
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

func (e *Egress) sendMessage(ctx context.Context, c *command, cmd *schema.SendMessage, ts []target) (*schema.CommandOutput, error) {
	t := ts[0]
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
	u, err := invoke(ctx, e, c, t.chatKey(), e.cfg.API.MessagesSendMessage, req)
	return e.sendResult(ctx, c, t, []int64{rid}, &asSent, u, err)
}

func (e *Egress) editMessage(ctx context.Context, c *command, cmd *schema.EditMessage, ts []target) (*schema.CommandOutput, error) {
	t := ts[0]
	req := &tg.MessagesEditMessageRequest{Peer: t.input, ID: cmd.MessageID, NoWebpage: cmd.NoWebpage, ReplyMarkup: replyMarkup(cmd.ReplyMarkup)}
	if cmd.Text != nil {
		text, ents, err := format(*cmd.Text, cmd.ParseMode, cmd.Entities, e.userHash)
		if err != nil {
			return nil, err
		}
		req.Message, req.Entities = text, ents
		req.SetMessage(text) // an edit to "" is not possible; a set flag says "change the text"
	}
	u, err := updatesCall(ctx, e, c, t, e.cfg.API.MessagesEditMessage, req)
	if err != nil {
		return nil, err
	}
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

func (e *Egress) deleteMessages(ctx context.Context, c *command, cmd *schema.DeleteMessages, ts []target) (*schema.CommandOutput, error) {
	t, ids := ts[0], cmd.MessageIDs
	var err error
	if t.peer.Kind == schema.PeerChannel {
		err = affectedCall(ctx, e, c, t, e.cfg.API.ChannelsDeleteMessages, &tg.ChannelsDeleteMessagesRequest{Channel: t.channel(), ID: ids},
			func(a *tg.MessagesAffectedMessages) tg.UpdateClass {
				return &tg.UpdateDeleteChannelMessages{ChannelID: t.peer.ID, Messages: ids, Pts: a.Pts, PtsCount: a.PtsCount}
			})
	} else {
		revoke := cmd.Revoke == nil || *cmd.Revoke
		err = affectedCall(ctx, e, c, t, e.cfg.API.MessagesDeleteMessages, &tg.MessagesDeleteMessagesRequest{ID: ids, Revoke: revoke},
			func(a *tg.MessagesAffectedMessages) tg.UpdateClass {
				return &tg.UpdateDeleteMessages{Messages: ids, Pts: a.Pts, PtsCount: a.PtsCount}
			})
	}
	if err != nil {
		return nil, err
	}
	return &schema.CommandOutput{MessageIDs: ids}, nil
}

func (e *Egress) forwardMessages(ctx context.Context, c *command, cmd *schema.ForwardMessages, ts []target) (*schema.CommandOutput, error) {
	to, from := ts[0], ts[1]
	rids := make([]int64, len(cmd.MessageIDs))
	for i := range rids {
		rids[i] = c.randomID(e.cfg.Account, i)
	}
	req := &tg.MessagesForwardMessagesRequest{FromPeer: from.input, ToPeer: to.input, ID: cmd.MessageIDs, RandomID: rids, Silent: cmd.Silent, DropAuthor: cmd.DropAuthor}
	u, err := invoke(ctx, e, c, to.chatKey(), e.cfg.API.MessagesForwardMessages, req)
	return e.sendResult(ctx, c, to, rids, nil, u, err)
}

func (e *Egress) pinMessage(ctx context.Context, c *command, cmd *schema.PinMessage, ts []target) (*schema.CommandOutput, error) {
	return e.pin(ctx, c, ts[0], cmd.MessageID, cmd.Silent, false)
}

func (e *Egress) unpinMessage(ctx context.Context, c *command, cmd *schema.UnpinMessage, ts []target) (*schema.CommandOutput, error) {
	return e.pin(ctx, c, ts[0], cmd.MessageID, false, true)
}

func (e *Egress) pin(ctx context.Context, c *command, t target, id int, silent, unpin bool) (*schema.CommandOutput, error) {
	req := &tg.MessagesUpdatePinnedMessageRequest{Peer: t.input, ID: id, Silent: silent, Unpin: unpin}
	if _, err := updatesCall(ctx, e, c, t, e.cfg.API.MessagesUpdatePinnedMessage, req); err != nil {
		return nil, err
	}
	return &schema.CommandOutput{MessageID: id}, nil
}

func (e *Egress) sendReaction(ctx context.Context, c *command, cmd *schema.SendReaction, ts []target) (*schema.CommandOutput, error) {
	req := &tg.MessagesSendReactionRequest{Peer: ts[0].input, MsgID: cmd.MessageID, Big: cmd.Big}
	if cmd.Reaction != "" {
		req.Reaction = []tg.ReactionClass{&tg.ReactionEmoji{Emoticon: cmd.Reaction}}
	}
	if _, err := updatesCall(ctx, e, c, ts[0], e.cfg.API.MessagesSendReaction, req); err != nil {
		return nil, err
	}
	return &schema.CommandOutput{MessageID: cmd.MessageID}, nil
}

func (e *Egress) setChatAction(ctx context.Context, c *command, cmd *schema.ChatAction, ts []target) (*schema.CommandOutput, error) {
	req := &tg.MessagesSetTypingRequest{Peer: ts[0].input, Action: chatAction(cmd.Activity)}
	_, err := invoke(ctx, e, c, ts[0].chatKey(), e.cfg.API.MessagesSetTyping, req)
	return &schema.CommandOutput{}, err
}

func (e *Egress) markRead(ctx context.Context, c *command, cmd *schema.MarkRead, ts []target) (*schema.CommandOutput, error) {
	t := ts[0]
	var err error
	if t.peer.Kind == schema.PeerChannel {
		_, err = invoke(ctx, e, c, t.chatKey(), e.cfg.API.ChannelsReadHistory, &tg.ChannelsReadHistoryRequest{Channel: t.channel(), MaxID: cmd.MaxID})
	} else {
		var peer tg.PeerClass = &tg.PeerUser{UserID: t.peer.ID}
		if t.peer.Kind == schema.PeerChat {
			peer = &tg.PeerChat{ChatID: t.peer.ID}
		}
		err = affectedCall(ctx, e, c, t, e.cfg.API.MessagesReadHistory, &tg.MessagesReadHistoryRequest{Peer: t.input, MaxID: cmd.MaxID},
			func(a *tg.MessagesAffectedMessages) tg.UpdateClass {
				return &tg.UpdateReadHistoryInbox{Peer: peer, MaxID: cmd.MaxID, Pts: a.Pts, PtsCount: a.PtsCount}
			})
	}
	if err != nil {
		return nil, err
	}
	return &schema.CommandOutput{MessageID: cmd.MaxID}, nil
}

func (e *Egress) answerCallback(ctx context.Context, c *command, cmd *schema.AnswerCallback, _ []target) (*schema.CommandOutput, error) {
	id, _ := cmd.ID()
	req := &tg.MessagesSetBotCallbackAnswerRequest{QueryID: id, Message: cmd.Text, Alert: cmd.Alert, URL: cmd.URL, CacheTime: cmd.CacheTime}
	_, err := invoke(ctx, e, c, "", e.cfg.API.MessagesSetBotCallbackAnswer, req)
	return &schema.CommandOutput{}, err
}

func (e *Egress) sendMedia(ctx context.Context, c *command, cmd *schema.SendMedia, ts []target) (*schema.CommandOutput, error) {
	t := ts[0]
	caption, ents, err := format(cmd.Caption, cmd.ParseMode, cmd.Entities, e.userHash)
	if err != nil {
		return nil, err
	}
	for restarted := false; ; restarted = true {
		media, up, err := e.inputMedia(ctx, c, cmd.Media, ts[0].peer.Ref())
		if err != nil {
			return nil, err
		}
		rid := c.randomID(e.cfg.Account, 0)
		req := &tg.MessagesSendMediaRequest{Peer: t.input, Media: media, Message: caption, Entities: ents, RandomID: rid,
			ReplyTo: replyTo(cmd.ReplyTo, 0), Silent: cmd.Silent}
		asSent := sentMessage{text: req.Message, entities: req.Entities, replyTo: req.ReplyTo, silent: req.Silent}
		u, err := invoke(ctx, e, c, t.chatKey(), e.cfg.API.MessagesSendMedia, req)
		if up.sent(err) && !restarted {
			// A resumed upload whose parts Telegram no longer has: again,
			// from the start.
			continue
		}
		return e.sendResult(ctx, c, t, []int64{rid}, &asSent, u, err)
	}
}

// inputMedia builds the media: a reference to a known file, or an upload
// (of an object: to be told when its message is sent).
func (e *Egress) inputMedia(ctx context.Context, c *command, m schema.MediaInput, peer schema.PeerRef) (tg.InputMediaClass, *objectUpload, error) {
	if m.FileRef != "" {
		ref, err := tgconv.ParseFileRef(m.FileRef)
		if err != nil {
			return nil, nil, schema.NewCommandError(schema.CodeInvalidArgument, "media.file_ref: not a file_ref from an event")
		}
		switch {
		case ref.Kind == tgconv.FilePhoto && m.Type == "photo":
			return &tg.InputMediaPhoto{ID: &tg.InputPhoto{ID: ref.ID, AccessHash: ref.AccessHash, FileReference: ref.FileReference}}, nil, nil
		case ref.Kind == tgconv.FileDocument && m.Type != "photo":
			return &tg.InputMediaDocument{ID: &tg.InputDocument{ID: ref.ID, AccessHash: ref.AccessHash, FileReference: ref.FileReference}}, nil, nil
		}
		return nil, nil, schema.NewCommandError(schema.CodeInvalidArgument, "media.file_ref: refers to a %s, not a %s", ref.Kind, m.Type)
	}
	if m.Object != "" {
		up, err := e.uploadObject(ctx, c, m.Object, peer)
		if err != nil {
			return nil, nil, err
		}
		m.MimeType = cmp.Or(m.MimeType, up.info.Metadata[metaMime])
		m.FileName = cmp.Or(m.FileName, up.info.Metadata[metaName], up.file.GetName())
		return uploadedMedia(m, up.file), up, nil
	}
	fileID := randomFileID()
	parts := 0
	for off := 0; off < len(m.Data); off += uploadPartSize {
		part := m.Data[off:min(off+uploadPartSize, len(m.Data))]
		req := &tg.UploadSaveFilePartRequest{FileID: fileID, FilePart: parts, Bytes: part}
		c.called = true
		if _, err := e.cfg.API.UploadSaveFilePart(ctx, req); err != nil {
			return nil, nil, fmt.Errorf("upload part %d: %w", parts, err)
		}
		parts++
	}
	m.FileName = cmp.Or(m.FileName, "file")
	return uploadedMedia(m, &tg.InputFile{ID: fileID, Parts: parts, Name: m.FileName}), nil, nil
}

// uploadedMedia is the media of an uploaded file of the kind m.Type.
func uploadedMedia(m schema.MediaInput, file tg.InputFileClass) tg.InputMediaClass {
	name := m.FileName
	if m.Type == "photo" {
		return &tg.InputMediaUploadedPhoto{File: file}
	}
	mime := m.MimeType
	attrs := []tg.DocumentAttributeClass{&tg.DocumentAttributeFilename{FileName: name}}
	switch m.Type {
	case "voice":
		mime = cmp.Or(mime, "audio/ogg")
		attrs = append(attrs, &tg.DocumentAttributeAudio{Voice: true})
	case "audio":
		mime = cmp.Or(mime, "audio/mpeg")
		attrs = append(attrs, &tg.DocumentAttributeAudio{})
	case "video":
		mime = cmp.Or(mime, "video/mp4")
		attrs = append(attrs, &tg.DocumentAttributeVideo{SupportsStreaming: true})
	default:
		mime = cmp.Or(mime, "application/octet-stream")
	}
	return &tg.InputMediaUploadedDocument{File: file, MimeType: mime, Attributes: attrs, ForceFile: m.Type == "document"}
}
