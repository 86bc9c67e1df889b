package tgconv

import "github.com/gotd/td/tg"

// Chat action names, shared by the chat.action command, the live.typing
// signal and the simulator: the Bot API's names where it has one
// (record_voice, upload_voice, find_location, record_video_note,
// upload_video_note), Telegram's otherwise.
const (
	ActionTyping          = "typing"
	ActionCancel          = "cancel"
	ActionRecordVideo     = "record_video"
	ActionUploadVideo     = "upload_video"
	ActionRecordVoice     = "record_voice"
	ActionUploadVoice     = "upload_voice"
	ActionUploadPhoto     = "upload_photo"
	ActionUploadDocument  = "upload_document"
	ActionFindLocation    = "find_location"
	ActionChooseContact   = "choose_contact"
	ActionGamePlay        = "game_play"
	ActionRecordVideoNote = "record_video_note"
	ActionUploadVideoNote = "upload_video_note"
	ActionSpeaking        = "speaking"
	ActionHistoryImport   = "history_import"
	ActionChooseSticker   = "choose_sticker"
	ActionEmoji           = "emoji"
	ActionEmojiSeen       = "emoji_seen"
)

// sendable lists the chat actions that can be sent, each once: its name
// and how to make it with an upload's progress (ignored by the others).
// ChatAction and ChatActionName both read it.
var sendable = []struct {
	name string
	make func(progress int) tg.SendMessageActionClass
}{
	{ActionTyping, func(int) tg.SendMessageActionClass { return &tg.SendMessageTypingAction{} }},
	{ActionCancel, func(int) tg.SendMessageActionClass { return &tg.SendMessageCancelAction{} }},
	{ActionRecordVideo, func(int) tg.SendMessageActionClass { return &tg.SendMessageRecordVideoAction{} }},
	{ActionUploadVideo, func(p int) tg.SendMessageActionClass { return &tg.SendMessageUploadVideoAction{Progress: p} }},
	{ActionRecordVoice, func(int) tg.SendMessageActionClass { return &tg.SendMessageRecordAudioAction{} }},
	{ActionUploadVoice, func(p int) tg.SendMessageActionClass { return &tg.SendMessageUploadAudioAction{Progress: p} }},
	{ActionUploadPhoto, func(p int) tg.SendMessageActionClass { return &tg.SendMessageUploadPhotoAction{Progress: p} }},
	{ActionUploadDocument, func(p int) tg.SendMessageActionClass { return &tg.SendMessageUploadDocumentAction{Progress: p} }},
	{ActionFindLocation, func(int) tg.SendMessageActionClass { return &tg.SendMessageGeoLocationAction{} }},
	{ActionChooseContact, func(int) tg.SendMessageActionClass { return &tg.SendMessageChooseContactAction{} }},
	{ActionGamePlay, func(int) tg.SendMessageActionClass { return &tg.SendMessageGamePlayAction{} }},
	{ActionRecordVideoNote, func(int) tg.SendMessageActionClass { return &tg.SendMessageRecordRoundAction{} }},
	{ActionUploadVideoNote, func(p int) tg.SendMessageActionClass { return &tg.SendMessageUploadRoundAction{Progress: p} }},
	{ActionSpeaking, func(int) tg.SendMessageActionClass { return &tg.SpeakingInGroupCallAction{} }},
	{ActionHistoryImport, func(p int) tg.SendMessageActionClass { return &tg.SendMessageHistoryImportAction{Progress: p} }},
	{ActionChooseSticker, func(int) tg.SendMessageActionClass { return &tg.SendMessageChooseStickerAction{} }},
}

// sendableName names the sendable actions by constructor id.
var sendableName = func() map[uint32]string {
	m := make(map[uint32]string, len(sendable))
	for _, row := range sendable {
		m[row.make(0).TypeID()] = row.name
	}
	return m
}()

// ChatActionName names a chat action, with an upload's progress (percent)
// and an emoji interaction's emoticon; "" for a constructor it does not
// know.
func ChatActionName(a tg.SendMessageActionClass) (name string, progress int, emoticon string) {
	switch a := a.(type) {
	case *tg.SendMessageEmojiInteraction:
		return ActionEmoji, 0, a.Emoticon
	case *tg.SendMessageEmojiInteractionSeen:
		return ActionEmojiSeen, 0, a.Emoticon
	case nil:
		return "", 0, ""
	}
	name, ok := sendableName[a.TypeID()]
	if !ok {
		return "", 0, ""
	}
	if p, ok := a.(interface{ GetProgress() int }); ok {
		progress = p.GetProgress()
	}
	return name, progress, ""
}

// ChatAction returns the chat action named name (as ChatActionName names
// it) with progress for uploads; false for a name it does not know or one
// that cannot be sent without more (emoji interactions).
func ChatAction(name string, progress int) (tg.SendMessageActionClass, bool) {
	for _, row := range sendable {
		if row.name == name {
			return row.make(progress), true
		}
	}
	return nil, false
}
