package sim

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// The RPCs a bot uses to act: sends, edits, deletions, forwards, pins,
// reactions, typing, read marks, callback answers, uploads and username
// resolution. Each validates everything first, answering Telegram's errors,
// then changes the world through one journaled op.

// Limits Telegram applies to bots.
const (
	maxTextLen    = 4096 // UTF-16 code units
	maxCaptionLen = 1024
	maxPartSize   = 512 * 1024
	maxParts      = 4000
	maxForward    = 100
)

var (
	errMessageEmpty      = tgerr.New(400, "MESSAGE_EMPTY")
	errMessageTooLong    = tgerr.New(400, "MESSAGE_TOO_LONG")
	errCaptionTooLong    = tgerr.New(400, "MEDIA_CAPTION_TOO_LONG")
	errMessageIDInvalid  = tgerr.New(400, "MESSAGE_ID_INVALID")
	errReplyInvalid      = tgerr.New(400, "REPLY_MESSAGE_ID_INVALID")
	errNotModified       = tgerr.New(400, "MESSAGE_NOT_MODIFIED")
	errAuthorRequired    = tgerr.New(403, "MESSAGE_AUTHOR_REQUIRED")
	errWriteForbidden    = tgerr.New(403, "CHAT_WRITE_FORBIDDEN")
	errDeleteForbidden   = tgerr.New(403, "MESSAGE_DELETE_FORBIDDEN")
	errUsernameNotFound  = tgerr.New(400, "USERNAME_NOT_OCCUPIED")
	errUsernameInvalid   = tgerr.New(400, "USERNAME_INVALID")
	errReactionInvalid   = tgerr.New(400, "REACTION_INVALID")
	errQueryIDInvalid    = tgerr.New(400, "QUERY_ID_INVALID")
	errRandomIDDuplicate = tgerr.New(400, "RANDOM_ID_DUPLICATE")
	errRandomIDEmpty     = tgerr.New(400, "RANDOM_ID_EMPTY")
	errRandomIDInvalid   = tgerr.New(400, "RANDOM_ID_INVALID")
	errUserIsBot         = tgerr.New(400, "USER_IS_BOT")
	errScheduleBot       = tgerr.New(400, "SCHEDULE_BOT_NOT_ALLOWED")
	errMediaEmpty        = tgerr.New(400, "MEDIA_EMPTY")
	errMediaInvalid      = tgerr.New(400, "MEDIA_INVALID")
	errFileRefExpired    = tgerr.New(400, "FILE_REFERENCE_EXPIRED")
	errFilePartsInvalid  = tgerr.New(400, "FILE_PARTS_INVALID")
	errFilePartInvalid   = tgerr.New(400, "FILE_PART_INVALID")
	errFilePartEmpty     = tgerr.New(400, "FILE_PART_EMPTY")
	errFilePartTooBig    = tgerr.New(400, "FILE_PART_TOO_BIG")
	usernameRE           = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{3,31}$`)
	errSendActionInvalid = tgerr.New(400, "SEND_ACTION_INVALID")
)

// botReactions are the emoji Telegram accepts as standard reactions.
var botReactions = []string{
	"👍", "👎", "❤", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩", "🤮", "💩", "🙏", "👌",
	"🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤‍🔥", "🌚", "🌭", "💯", "🤣", "⚡", "🍌", "🏆", "💔", "🤨", "😐", "🍓",
	"🍾", "💋", "🖕", "😈", "😴", "😭", "🤓", "👻", "👨‍💻", "👀", "🎃", "🙈", "😇", "😨", "🤝", "✍", "🤗", "🫡",
	"🎅", "🎄", "☃", "💅", "🤪", "🗿", "🆒", "💘", "🙉", "🦄", "😘", "💊", "🙊", "😎", "👾", "🤷‍♂", "🤷", "🤷‍♀", "😡",
}

func callerOf(a *account, req *tgtest.Request) *caller {
	return &caller{account: a.Name, authKey: req.Session.AuthKey.ID}
}

// details renders call arguments for Call.Detail: "key=value" pairs,
// bare keys for true booleans; zero values are left out.
type details []string

func (d *details) add(key string, v any) {
	switch v := v.(type) {
	case bool:
		if v {
			*d = append(*d, key)
		}
	case int:
		if v != 0 {
			*d = append(*d, key+"="+strconv.Itoa(v))
		}
	case int64:
		if v != 0 {
			*d = append(*d, key+"="+strconv.FormatInt(v, 10))
		}
	case string:
		if v != "" {
			*d = append(*d, key+"="+v)
		}
	}
}

func (d details) String() string { return strings.Join(d, " ") }

func markupDetail(m tg.ReplyMarkupClass) string {
	switch m := m.(type) {
	case *tg.ReplyInlineMarkup:
		return "inline:" + strconv.Itoa(len(m.Rows))
	case *tg.ReplyKeyboardMarkup:
		return "keyboard:" + strconv.Itoa(len(m.Rows))
	case *tg.ReplyKeyboardHide:
		return "remove"
	case *tg.ReplyKeyboardForceReply:
		return "force_reply"
	}
	return ""
}

// writablePeer resolves a peer a sends to.
func (s *Sim) writablePeer(a *account, in tg.InputPeerClass) (schema.PeerRef, error) {
	peer, err := s.inputPeer(a, in)
	if err != nil {
		return peer, err
	}
	if peer.Kind == schema.PeerUser {
		if peer.ID == a.UserID {
			return peer, errPeerInvalid
		}
		if s.w.users[peer.ID].Bot {
			return peer, errUserIsBot
		}
	}
	if s.w.forbiddenFor(a.Name, peer) {
		return peer, errWriteForbidden
	}
	return peer, nil
}

func checkText(text string, limit int, tooLong error, required bool) error {
	if required && strings.TrimSpace(text) == "" {
		return errMessageEmpty
	}
	if utf16Len(text) > limit {
		return tooLong
	}
	return nil
}

// replyTo validates a reply header; it returns the replied id and the topic.
func (s *Sim) replyTo(a *account, peer schema.PeerRef, in tg.InputReplyToClass) (int, int, error) {
	r, ok := in.(*tg.InputReplyToMessage)
	if !ok || r.ReplyToMsgID == 0 {
		return 0, 0, nil
	}
	if r.ReplyToPeerID != nil {
		return 0, 0, errReplyInvalid // replies to other chats are not simulated
	}
	if m, ok := s.w.lookup(a, peer, r.ReplyToMsgID); !ok || m.Deleted {
		return 0, 0, errReplyInvalid
	}
	return r.ReplyToMsgID, r.TopMsgID, nil
}

func (s *Sim) checkRandom(a *account, ids ...int64) error {
	for i, id := range ids {
		if id == 0 {
			return errRandomIDEmpty
		}
		if _, dup := s.w.randoms[a.Name][id]; dup || slices.Contains(ids[:i], id) {
			return errRandomIDDuplicate
		}
	}
	return nil
}

// updatesResult renders the pushes a call made to its own account as the
// call's tg.Updates, preceded by updateMessageID for each sent message.
func (s *Sim) updatesResult(a *account, own []push, rids []int64, ids []int) *tg.Updates {
	res := &tg.Updates{Date: int(s.cfg.Now().Unix())}
	for i, rid := range rids {
		res.Updates = append(res.Updates, &tg.UpdateMessageID{ID: ids[i], RandomID: rid})
	}
	rf := newRefs()
	rf.users[a.UserID] = true
	for i := range own {
		p := &own[i]
		s.w.eventRefs(rf, p.Channel, &p.Event)
		res.Updates = append(res.Updates, s.w.tgEventUpdate(a, p.Channel, &p.Event))
		res.Date = p.Event.Date
	}
	res.Users, res.Chats = s.w.tgUsers(a, rf), s.w.tgChats(rf)
	return res
}

// sendTarget checks what messages.sendMessage and sendMedia share, in
// Telegram's order: a chat the account may write in, the text (or caption)
// within limit (empty allowed only for captions), and no schedule date
// (bots may not schedule).
func (s *Sim) sendTarget(a *account, in tg.InputPeerClass, text string, limit int, tooLong error, required bool, schedule int) (schema.PeerRef, error) {
	peer, err := s.writablePeer(a, in)
	if err != nil {
		return schema.PeerRef{}, err
	}
	if err := checkText(text, limit, tooLong, required); err != nil {
		return schema.PeerRef{}, err
	}
	if schedule != 0 {
		return schema.PeerRef{}, errScheduleBot
	}
	return peer, nil
}

func (s *Sim) onSendMessage(a *account, req *tgtest.Request, r *tg.MessagesSendMessageRequest) (bin.Encoder, error) {
	peer, err := s.sendTarget(a, r.Peer, r.Message, maxTextLen, errMessageTooLong, true, r.ScheduleDate)
	if err != nil {
		return nil, err
	}
	reply, top, err := s.replyTo(a, peer, r.ReplyTo)
	if err != nil {
		return nil, err
	}
	if err := s.checkRandom(a, r.RandomID); err != nil {
		return nil, err
	}
	var d details
	d.add("reply_to", reply)
	d.add("top_msg_id", top)
	d.add("silent", r.Silent)
	d.add("no_webpage", r.NoWebpage)
	d.add("markup", markupDetail(r.ReplyMarkup))
	o := &op{
		Body: &apiSendOp{Account: a.Name, RandomID: r.RandomID,
			Out: &Outgoing{Account: a.Name, Chat: peer, From: a.UserID, Text: r.Message, Entities: tgconv.Entities(r.Entities), ReplyTo: reply}},
		Call: &Call{Account: a.Name, Method: "messages.sendMessage", Peer: peer, Text: r.Message, RandomID: r.RandomID, Detail: d.String()},
	}
	id, own, err := s.changeLocked(o, callerOf(a, req))
	if err != nil {
		return nil, err
	}
	if peer.Kind == schema.PeerUser && s.f.shortSentReplies() {
		return shortSent(own, int(id), r.Entities), nil
	}
	return s.updatesResult(a, own, []int64{r.RandomID}, []int{int(id)}), nil
}

// inputMedia resolves the media of messages.sendMedia.
func (s *Sim) inputMedia(a *account, in tg.InputMediaClass) (*mediaInfo, *uploadRef, error) {
	known := func(kind string, id, hash int64, ref []byte) (*mediaInfo, *uploadRef, error) {
		m, ok := s.w.media[id]
		if !ok || m.Kind != kind || hash != accessHash(kind, id) {
			return nil, nil, errMediaEmpty
		}
		if !bytes.Equal(ref, s.w.fileReference(id)) {
			return nil, nil, errFileRefExpired
		}
		return m, nil, nil
	}
	uploaded := func(f tg.InputFileClass) (*uploadRef, string, error) {
		var ref uploadRef
		var name string
		switch f := f.(type) {
		case *tg.InputFile:
			ref, name = uploadRef{FileID: f.ID, Parts: f.Parts}, f.Name
		case *tg.InputFileBig:
			ref, name = uploadRef{FileID: f.ID, Parts: f.Parts}, f.Name
		default:
			return nil, "", errMediaInvalid
		}
		if _, ok := s.w.uploadSize(a.Name, ref); !ok {
			return nil, "", errFilePartsInvalid
		}
		return &ref, name, nil
	}
	switch m := in.(type) {
	case *tg.InputMediaPhoto:
		p, ok := m.ID.(*tg.InputPhoto)
		if !ok {
			return nil, nil, errMediaEmpty
		}
		return known("photo", p.ID, p.AccessHash, p.FileReference)
	case *tg.InputMediaDocument:
		doc, ok := m.ID.(*tg.InputDocument)
		if !ok {
			return nil, nil, errMediaEmpty
		}
		return known("document", doc.ID, doc.AccessHash, doc.FileReference)
	case *tg.InputMediaUploadedPhoto:
		ref, name, err := uploaded(m.File)
		if err != nil {
			return nil, nil, err
		}
		return &mediaInfo{Kind: "photo", Mime: "image/jpeg", Name: name}, ref, nil
	case *tg.InputMediaUploadedDocument:
		ref, name, err := uploaded(m.File)
		if err != nil {
			return nil, nil, err
		}
		info := &mediaInfo{Kind: "document", Mime: m.MimeType, Name: name}
		if info.Mime == "" {
			info.Mime = "application/octet-stream"
		}
		for _, attr := range m.Attributes {
			switch attr := attr.(type) {
			case *tg.DocumentAttributeFilename:
				info.Name = attr.FileName
			case *tg.DocumentAttributeVideo:
				info.Attr = "video"
			case *tg.DocumentAttributeAudio:
				info.Attr = "audio"
				if attr.Voice {
					info.Attr = "voice"
				}
			}
		}
		return info, ref, nil
	}
	return nil, nil, errMediaInvalid
}

func (s *Sim) onSendMedia(a *account, req *tgtest.Request, r *tg.MessagesSendMediaRequest) (bin.Encoder, error) {
	peer, err := s.sendTarget(a, r.Peer, r.Message, maxCaptionLen, errCaptionTooLong, false, r.ScheduleDate)
	if err != nil {
		return nil, err
	}
	info, upload, err := s.inputMedia(a, r.Media)
	if err != nil {
		return nil, err
	}
	reply, top, err := s.replyTo(a, peer, r.ReplyTo)
	if err != nil {
		return nil, err
	}
	if err := s.checkRandom(a, r.RandomID); err != nil {
		return nil, err
	}
	var d details
	d.add("media", info.Kind)
	d.add("attr", info.Attr)
	d.add("mime", info.Mime)
	d.add("reply_to", reply)
	d.add("top_msg_id", top)
	d.add("silent", r.Silent)
	d.add("markup", markupDetail(r.ReplyMarkup))
	if upload != nil {
		size, _ := s.w.uploadSize(a.Name, *upload)
		d.add("uploaded", size)
		sum, err := s.w.uploadSum(a.Name, *upload)
		if err != nil {
			return nil, fmt.Errorf("hash upload %d: %w", upload.FileID, err)
		}
		d.add("sha256", sum)
	} else {
		d.add("media_id", info.ID)
	}
	o := &op{
		Body: &apiSendOp{Account: a.Name, RandomID: r.RandomID, Media: info, Upload: upload,
			Out: &Outgoing{Account: a.Name, Chat: peer, From: a.UserID, Text: r.Message, Entities: tgconv.Entities(r.Entities), ReplyTo: reply, Media: info.Kind}},
		Call: &Call{Account: a.Name, Method: "messages.sendMedia", Peer: peer, Text: r.Message, RandomID: r.RandomID, Detail: d.String()},
	}
	id, own, err := s.changeLocked(o, callerOf(a, req))
	if err != nil {
		return nil, err
	}
	if peer.Kind == schema.PeerUser && s.f.shortSentReplies() {
		u := shortSent(own, int(id), r.Entities)
		for _, p := range own {
			if p.Channel == 0 && p.Event.Msg.ID == int(id) {
				u.Media = s.w.tgMedia(&p.Event.Msg)
			}
		}
		u.SetFlags()
		return u, nil
	}
	return s.updatesResult(a, own, []int64{r.RandomID}, []int{int(id)}), nil
}

func (s *Sim) savePart(a *account, req *tgtest.Request, method string, fileID int64, part, total int, data []byte) (bin.Encoder, error) {
	switch {
	case part < 0 || part >= maxParts || total > 0 && part >= total:
		return nil, errFilePartInvalid
	case len(data) == 0:
		return nil, errFilePartEmpty
	case len(data) > maxPartSize:
		return nil, errFilePartTooBig
	}
	// A big file's total is fixed by its first part, as on Telegram.
	if p := s.w.uploads[uploadKey{a.Name, fileID}]; p != nil && p.Total != total {
		return nil, errFilePartsInvalid
	}
	var d details
	d.add("file_id", fileID)
	d.add("part", strconv.Itoa(part))
	d.add("total", total)
	d.add("bytes", len(data))
	o := &op{Body: &uploadOp{Account: a.Name, FileID: fileID, Part: part, Total: total, Size: len(data), data: data},
		Call: &Call{Account: a.Name, Method: method, Detail: d.String()}}
	if _, _, err := s.changeLocked(o, callerOf(a, req)); err != nil {
		return nil, err
	}
	s.w.received[a.Name] += int64(len(data))
	return &tg.BoolTrue{}, nil
}

func (s *Sim) onSaveFilePart(a *account, req *tgtest.Request, r *tg.UploadSaveFilePartRequest) (bin.Encoder, error) {
	return s.savePart(a, req, "upload.saveFilePart", r.FileID, r.FilePart, 0, r.Bytes)
}

func (s *Sim) onSaveBigFilePart(a *account, req *tgtest.Request, r *tg.UploadSaveBigFilePartRequest) (bin.Encoder, error) {
	if r.FileTotalParts <= 0 || r.FileTotalParts > maxParts {
		return nil, errFilePartsInvalid
	}
	return s.savePart(a, req, "upload.saveBigFilePart", r.FileID, r.FilePart, r.FileTotalParts, r.Bytes)
}

func (s *Sim) onEditMessage(a *account, req *tgtest.Request, r *tg.MessagesEditMessageRequest) (bin.Encoder, error) {
	peer, err := s.inputPeer(a, r.Peer)
	if err != nil {
		return nil, err
	}
	if s.w.forbiddenFor(a.Name, peer) {
		return nil, errWriteForbidden
	}
	m, ok := s.w.lookup(a, peer, r.ID)
	if !ok || m.Deleted || m.Service != "" {
		return nil, errMessageIDInvalid
	}
	broadcast := peer.Kind == schema.PeerChannel && s.w.channels[peer.ID].Broadcast
	if !broadcast && m.From != a.UserID {
		return nil, errAuthorRequired
	}
	text, hasText := r.GetMessage()
	if !hasText {
		text = m.Text
	}
	if m.Media != "" {
		err = checkText(text, maxCaptionLen, errCaptionTooLong, false)
	} else {
		err = checkText(text, maxTextLen, errMessageTooLong, true)
	}
	if err != nil {
		return nil, err
	}
	_, hasEnts := r.GetEntities()
	ents := tgconv.Entities(r.Entities)
	if hasText && !hasEnts {
		ents, hasEnts = nil, true // a new text without entities has none
	}
	if text == m.Text && (!hasEnts || slices.Equal(ents, m.Entities)) && r.ReplyMarkup == nil {
		return nil, errNotModified
	}
	var d details
	d.add("no_webpage", r.NoWebpage)
	d.add("markup", markupDetail(r.ReplyMarkup))
	o := &op{Body: &editOp{Chat: peer, Account: a.Name, IDs: []int{r.ID}, Text: text, Entities: ents, SetEntities: hasEnts},
		Call: &Call{Account: a.Name, Method: "messages.editMessage", Peer: peer, MessageIDs: []int{r.ID}, Text: text, Detail: d.String()}}
	_, own, err := s.changeLocked(o, callerOf(a, req))
	if err != nil {
		return nil, err
	}
	return s.updatesResult(a, own, nil, nil), nil
}

// affected sums the pts of the caller's own pushes as messages.affectedMessages.
func affected(own []push, pts int) *tg.MessagesAffectedMessages {
	res := &tg.MessagesAffectedMessages{Pts: pts}
	for _, p := range own {
		res.Pts = p.Event.Pts
		res.PtsCount += p.Event.PtsCount
	}
	return res
}

func (s *Sim) onDeleteMessages(a *account, req *tgtest.Request, r *tg.MessagesDeleteMessagesRequest) (bin.Encoder, error) {
	if len(r.ID) > maxForward {
		return nil, errMessageIDInvalid
	}
	// Unknown and already deleted ids are skipped, as Telegram does.
	byChat := map[schema.PeerRef][]int{}
	var chats []schema.PeerRef
	for _, id := range r.ID {
		m, ok := a.Box.Msgs[id]
		if !ok || m.Deleted || slices.Contains(byChat[m.Peer], id) {
			continue
		}
		if s.w.forbiddenFor(a.Name, m.Peer) {
			return nil, errDeleteForbidden
		}
		if _, seen := byChat[m.Peer]; !seen {
			chats = append(chats, m.Peer)
		}
		byChat[m.Peer] = append(byChat[m.Peer], id)
	}
	var own []push
	for _, chat := range chats {
		var d details
		d.add("revoke", r.Revoke)
		o := &op{Body: &deleteOp{Chat: chat, Account: a.Name, IDs: byChat[chat]},
			Call: &Call{Account: a.Name, Method: "messages.deleteMessages", Peer: chat, MessageIDs: byChat[chat], Detail: d.String()}}
		_, p, err := s.changeLocked(o, callerOf(a, req))
		if err != nil {
			return nil, err
		}
		own = append(own, p...)
	}
	return affected(own, a.Box.Pts), nil
}

func (s *Sim) onChannelsDeleteMessages(a *account, req *tgtest.Request, r *tg.ChannelsDeleteMessagesRequest) (bin.Encoder, error) {
	ch, err := s.inputChannel(r.Channel)
	if err != nil {
		return nil, err
	}
	if len(r.ID) > maxForward {
		return nil, errMessageIDInvalid
	}
	peer := schema.PeerRef{Kind: schema.PeerChannel, ID: ch.ID}
	var ids []int
	for _, id := range r.ID {
		m, ok := ch.Box.Msgs[id]
		if !ok || m.Deleted || slices.Contains(ids, id) {
			continue
		}
		if s.w.forbiddenFor(a.Name, peer) && m.From != a.UserID {
			return nil, errDeleteForbidden
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return &tg.MessagesAffectedMessages{Pts: ch.Box.Pts}, nil
	}
	o := &op{Body: &deleteOp{Chat: peer, Account: a.Name, IDs: ids},
		Call: &Call{Account: a.Name, Method: "channels.deleteMessages", Peer: peer, MessageIDs: ids}}
	_, own, err := s.changeLocked(o, callerOf(a, req))
	if err != nil {
		return nil, err
	}
	return affected(own, ch.Box.Pts), nil
}

func (s *Sim) onForwardMessages(a *account, req *tgtest.Request, r *tg.MessagesForwardMessagesRequest) (bin.Encoder, error) {
	from, err := s.inputPeer(a, r.FromPeer)
	if err != nil {
		return nil, err
	}
	to, err := s.writablePeer(a, r.ToPeer)
	if err != nil {
		return nil, err
	}
	switch {
	case len(r.ID) == 0:
		return nil, errMessageIDInvalid
	case len(r.ID) > maxForward:
		return nil, errMessageIDInvalid
	case len(r.RandomID) != len(r.ID):
		return nil, errRandomIDInvalid
	case r.ScheduleDate != 0:
		return nil, errScheduleBot
	}
	for _, id := range r.ID {
		if m, ok := s.w.lookup(a, from, id); !ok || m.Deleted || m.Service != "" {
			return nil, errMessageIDInvalid
		}
	}
	if err := s.checkRandom(a, r.RandomID...); err != nil {
		return nil, err
	}
	var d details
	d.add("from", from.String())
	d.add("ids", fmt.Sprint(r.ID))
	d.add("silent", r.Silent)
	d.add("drop_author", r.DropAuthor)
	d.add("top_msg_id", r.TopMsgID)
	o := &op{Body: &apiForwardOp{Account: a.Name, Chat: from, To: &to, IDs: slices.Clone(r.ID), RandomIDs: slices.Clone(r.RandomID), DropAuthor: r.DropAuthor},
		Call: &Call{Account: a.Name, Method: "messages.forwardMessages", Peer: to, Detail: d.String()}}
	_, own, err := s.changeLocked(o, callerOf(a, req))
	if err != nil {
		return nil, err
	}
	return s.updatesResult(a, own, r.RandomID, o.Call.MessageIDs), nil
}

func (s *Sim) onUpdatePinnedMessage(a *account, req *tgtest.Request, r *tg.MessagesUpdatePinnedMessageRequest) (bin.Encoder, error) {
	peer, err := s.inputPeer(a, r.Peer)
	if err != nil {
		return nil, err
	}
	if s.w.forbiddenFor(a.Name, peer) {
		return nil, errWriteForbidden
	}
	if m, ok := s.w.lookup(a, peer, r.ID); !ok || m.Deleted || m.Service != "" {
		return nil, errMessageIDInvalid
	}
	method := "messages.updatePinnedMessage"
	var d details
	d.add("silent", r.Silent)
	d.add("unpin", r.Unpin)
	d.add("pm_oneside", r.PmOneside)
	o := &op{Body: &pinOp{Chat: peer, Account: a.Name, IDs: []int{r.ID}, Unpin: r.Unpin},
		Call: &Call{Account: a.Name, Method: method, Peer: peer, MessageIDs: []int{r.ID}, Detail: d.String()}}
	_, own, err := s.changeLocked(o, callerOf(a, req))
	if err != nil {
		return nil, err
	}
	return s.updatesResult(a, own, nil, nil), nil
}

func (s *Sim) onSendReaction(a *account, req *tgtest.Request, r *tg.MessagesSendReactionRequest) (bin.Encoder, error) {
	peer, err := s.inputPeer(a, r.Peer)
	if err != nil {
		return nil, err
	}
	if m, ok := s.w.lookup(a, peer, r.MsgID); !ok || m.Deleted || m.Service != "" {
		return nil, errMessageIDInvalid
	}
	if len(r.Reaction) > 1 { // bots set at most one reaction
		return nil, errReactionInvalid
	}
	emoji := ""
	if len(r.Reaction) == 1 {
		e, ok := r.Reaction[0].(*tg.ReactionEmoji)
		if !ok || !slices.Contains(botReactions, strings.TrimSuffix(e.Emoticon, "\ufe0f")) {
			return nil, errReactionInvalid
		}
		emoji = e.Emoticon
	}
	var d details
	d.add("reaction", emoji)
	d.add("big", r.Big)
	o := &op{Body: &reactOp{Chat: peer, Account: a.Name, IDs: []int{r.MsgID}, From: a.UserID, Emoji: emoji},
		Call: &Call{Account: a.Name, Method: "messages.sendReaction", Peer: peer, MessageIDs: []int{r.MsgID}, Text: emoji, Detail: d.String()}}
	if _, _, err := s.changeLocked(o, callerOf(a, req)); err != nil {
		return nil, err
	}
	m, _ := s.w.lookup(a, peer, r.MsgID)
	rf := newRefs()
	rf.peer(peer)
	return &tg.Updates{
		Updates: []tg.UpdateClass{&tg.UpdateMessageReactions{Peer: tgconv.PeerTL(peer), MsgID: r.MsgID,
			Reactions: tg.MessageReactions{Results: tgReactionCounts(reactionCounts(a.UserID, m.Reactions))}}},
		Users: s.w.tgUsers(a, rf), Chats: s.w.tgChats(rf), Date: int(s.cfg.Now().Unix()),
	}, nil
}

func sendActionName(a tg.SendMessageActionClass) (string, bool) {
	name, _, _ := tgconv.ChatActionName(a)
	return name, name != ""
}

func (s *Sim) onSetTyping(a *account, req *tgtest.Request, r *tg.MessagesSetTypingRequest) (bin.Encoder, error) {
	peer, err := s.writablePeer(a, r.Peer)
	if err != nil {
		return nil, err
	}
	name, ok := sendActionName(r.Action)
	if !ok {
		return nil, errSendActionInvalid
	}
	var d details
	d.add("action", name)
	d.add("top_msg_id", r.TopMsgID)
	o := &op{Body: &recordOp{Account: a.Name}, Call: &Call{Account: a.Name, Method: "messages.setTyping", Peer: peer, Detail: d.String()}}
	if _, _, err := s.changeLocked(o, callerOf(a, req)); err != nil {
		return nil, err
	}
	return &tg.BoolTrue{}, nil
}

// onReadHistory reads a private chat or basic group up to max_id (0: all):
// an updateReadHistoryInbox in the account's box (pts_count 1), its other
// sessions' push and the call's affectedMessages (read_world.go). A max_id
// naming no message of the chat moves no pts.
func (s *Sim) onReadHistory(a *account, req *tgtest.Request, r *tg.MessagesReadHistoryRequest) (bin.Encoder, error) {
	peer, err := s.inputPeer(a, r.Peer)
	if err != nil {
		return nil, err
	}
	if peer.Kind == schema.PeerChannel {
		return nil, errPeerInvalid // channels.readHistory reads channels
	}
	var d details
	d.add("max_id", r.MaxID)
	call := &Call{Account: a.Name, Method: "messages.readHistory", Peer: peer, Detail: d.String()}
	maxID := r.MaxID
	if ids := a.Box.ByPeer[peer]; maxID == 0 && len(ids) > 0 {
		maxID = ids[len(ids)-1] // 0 reads everything
	}
	if m, ok := a.Box.Msgs[maxID]; !ok || m.Peer != peer {
		// Nothing to read: Telegram moves no pts.
		o := &op{Body: &recordOp{Account: a.Name}, Call: call}
		if _, _, err := s.changeLocked(o, callerOf(a, req)); err != nil {
			return nil, err
		}
		return &tg.MessagesAffectedMessages{Pts: a.Box.Pts}, nil
	}
	o := &op{Body: &readOp{Chat: peer, Account: a.Name, MaxID: maxID}, Call: call}
	if _, _, err := s.changeLocked(o, callerOf(a, req)); err != nil {
		return nil, err
	}
	return &tg.MessagesAffectedMessages{Pts: a.Box.Pts, PtsCount: 1}, nil
}

func (s *Sim) onChannelsReadHistory(a *account, req *tgtest.Request, r *tg.ChannelsReadHistoryRequest) (bin.Encoder, error) {
	ch, err := s.inputChannel(r.Channel)
	if err != nil {
		return nil, err
	}
	var d details
	d.add("max_id", r.MaxID)
	peer := schema.PeerRef{Kind: schema.PeerChannel, ID: ch.ID}
	o := &op{Body: &recordOp{Account: a.Name}, Call: &Call{Account: a.Name, Method: "channels.readHistory", Peer: peer, Detail: d.String()}}
	if _, _, err := s.changeLocked(o, callerOf(a, req)); err != nil {
		return nil, err
	}
	return &tg.BoolTrue{}, nil
}

func (s *Sim) onSetBotCallbackAnswer(a *account, req *tgtest.Request, r *tg.MessagesSetBotCallbackAnswerRequest) (bin.Encoder, error) {
	q := s.w.queries[r.QueryID]
	if !q.answerable(a.Name, "", BotQueryInlinePress) {
		return nil, errQueryIDInvalid
	}
	if utf16Len(r.Message) > 200 {
		return nil, errMessageTooLong
	}
	var d details
	d.add("query_id", r.QueryID)
	d.add("alert", r.Alert)
	d.add("url", r.URL)
	d.add("cache_time", r.CacheTime)
	o := &op{Body: &answerOp{Account: a.Name, QueryID: r.QueryID},
		Call: &Call{Account: a.Name, Method: "messages.setBotCallbackAnswer", Peer: q.Chat, MessageIDs: []int{q.MsgID}, Text: r.Message, Detail: d.String()}}
	if _, _, err := s.changeLocked(o, callerOf(a, req)); err != nil {
		return nil, err
	}
	return &tg.BoolTrue{}, nil
}

func (s *Sim) onResolveUsername(a *account, req *tgtest.Request, r *tg.ContactsResolveUsernameRequest) (bin.Encoder, error) {
	if !usernameRE.MatchString(r.Username) {
		return nil, errUsernameInvalid
	}
	peer, ok := s.w.resolve(r.Username)
	if !ok {
		return nil, errUsernameNotFound
	}
	o := &op{Body: &recordOp{Account: a.Name}, Call: &Call{Account: a.Name, Method: "contacts.resolveUsername", Peer: peer, Text: r.Username}}
	if _, _, err := s.changeLocked(o, callerOf(a, req)); err != nil {
		return nil, err
	}
	rf := newRefs()
	rf.peer(peer)
	return &tg.ContactsResolvedPeer{Peer: tgconv.PeerTL(peer), Chats: s.w.tgChats(rf), Users: s.w.tgUsers(a, rf)}, nil
}
