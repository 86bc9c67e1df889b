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

// ChatActionName names a chat action, with an upload's progress (percent)
// and an emoji interaction's emoticon; "" for a constructor it does not
// know.
func ChatActionName(a tg.SendMessageActionClass) (name string, progress int, emoticon string) {
	switch a := a.(type) {
	case *tg.SendMessageTypingAction:
		return ActionTyping, 0, ""
	case *tg.SendMessageCancelAction:
		return ActionCancel, 0, ""
	case *tg.SendMessageRecordVideoAction:
		return ActionRecordVideo, 0, ""
	case *tg.SendMessageUploadVideoAction:
		return ActionUploadVideo, a.Progress, ""
	case *tg.SendMessageRecordAudioAction:
		return ActionRecordVoice, 0, ""
	case *tg.SendMessageUploadAudioAction:
		return ActionUploadVoice, a.Progress, ""
	case *tg.SendMessageUploadPhotoAction:
		return ActionUploadPhoto, a.Progress, ""
	case *tg.SendMessageUploadDocumentAction:
		return ActionUploadDocument, a.Progress, ""
	case *tg.SendMessageGeoLocationAction:
		return ActionFindLocation, 0, ""
	case *tg.SendMessageChooseContactAction:
		return ActionChooseContact, 0, ""
	case *tg.SendMessageGamePlayAction:
		return ActionGamePlay, 0, ""
	case *tg.SendMessageRecordRoundAction:
		return ActionRecordVideoNote, 0, ""
	case *tg.SendMessageUploadRoundAction:
		return ActionUploadVideoNote, a.Progress, ""
	case *tg.SpeakingInGroupCallAction:
		return ActionSpeaking, 0, ""
	case *tg.SendMessageHistoryImportAction:
		return ActionHistoryImport, a.Progress, ""
	case *tg.SendMessageChooseStickerAction:
		return ActionChooseSticker, 0, ""
	case *tg.SendMessageEmojiInteraction:
		return ActionEmoji, 0, a.Emoticon
	case *tg.SendMessageEmojiInteractionSeen:
		return ActionEmojiSeen, 0, a.Emoticon
	}
	return "", 0, ""
}

// ChatAction returns the chat action named name (as ChatActionName names
// it) with progress for uploads; false for a name it does not know or one
// that cannot be sent without more (emoji interactions).
func ChatAction(name string, progress int) (tg.SendMessageActionClass, bool) {
	switch name {
	case ActionTyping:
		return &tg.SendMessageTypingAction{}, true
	case ActionCancel:
		return &tg.SendMessageCancelAction{}, true
	case ActionRecordVideo:
		return &tg.SendMessageRecordVideoAction{}, true
	case ActionUploadVideo:
		return &tg.SendMessageUploadVideoAction{Progress: progress}, true
	case ActionRecordVoice:
		return &tg.SendMessageRecordAudioAction{}, true
	case ActionUploadVoice:
		return &tg.SendMessageUploadAudioAction{Progress: progress}, true
	case ActionUploadPhoto:
		return &tg.SendMessageUploadPhotoAction{Progress: progress}, true
	case ActionUploadDocument:
		return &tg.SendMessageUploadDocumentAction{Progress: progress}, true
	case ActionFindLocation:
		return &tg.SendMessageGeoLocationAction{}, true
	case ActionChooseContact:
		return &tg.SendMessageChooseContactAction{}, true
	case ActionGamePlay:
		return &tg.SendMessageGamePlayAction{}, true
	case ActionRecordVideoNote:
		return &tg.SendMessageRecordRoundAction{}, true
	case ActionUploadVideoNote:
		return &tg.SendMessageUploadRoundAction{Progress: progress}, true
	case ActionSpeaking:
		return &tg.SpeakingInGroupCallAction{}, true
	case ActionHistoryImport:
		return &tg.SendMessageHistoryImportAction{Progress: progress}, true
	case ActionChooseSticker:
		return &tg.SendMessageChooseStickerAction{}, true
	}
	return nil, false
}
