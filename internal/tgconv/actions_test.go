package tgconv

import "testing"

// Every sendable name converts to Telegram and back to itself, with the
// progress of uploads kept.
func TestChatActionRoundTrip(t *testing.T) {
	names := []string{ActionTyping, ActionCancel, ActionRecordVideo, ActionUploadVideo, ActionRecordVoice,
		ActionUploadVoice, ActionUploadPhoto, ActionUploadDocument, ActionFindLocation, ActionChooseContact,
		ActionGamePlay, ActionRecordVideoNote, ActionUploadVideoNote, ActionSpeaking, ActionHistoryImport,
		ActionChooseSticker}
	for _, name := range names {
		a, ok := ChatAction(name, 40)
		if !ok {
			t.Fatalf("ChatAction(%q) unknown", name)
		}
		got, progress, _ := ChatActionName(a)
		if got != name {
			t.Errorf("ChatActionName(ChatAction(%q)) = %q", name, got)
		}
		if progress != 0 && progress != 40 {
			t.Errorf("%s: progress %d, want 40 or none", name, progress)
		}
	}
	if _, ok := ChatAction("dancing", 0); ok {
		t.Error("an unknown name converted")
	}
}
