package simctl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"testing"

	"github.com/tgnats/tgnats/internal/sim"
)

// TestFileVerbs: message.inject with a file makes a document of that size
// and kind; message.file answers its size, kind and the sha256 of the
// content the simulator serves.
func TestFileVerbs(t *testing.T) {
	f := newFixture(t)
	var alice struct {
		UserID int64 `json:"user_id"`
	}
	f.ok(t, "user.create", `{"first_name":"Alice"}`, &alice)
	var sent MessageResult
	f.ok(t, "message.inject", fmt.Sprintf(`{"chat":{"kind":"user","id":%d},"media":"document","file":{"size":5000000,"mime":"audio/ogg","attr":"voice"}}`, alice.UserID), &sent)
	var file sim.MediaFile
	f.ok(t, "message.file", fmt.Sprintf(`{"chat":{"kind":"user","id":%d},"message_id":%d}`, alice.UserID, sent.MessageID), &file)
	h := sha256.New()
	if _, err := io.Copy(h, sim.FileContent(file.ID, 5000000)); err != nil {
		t.Fatal(err)
	}
	if file.Size != 5000000 || file.Kind != "document" || file.Mime != "audio/ogg" || file.Attr != "voice" || file.SHA256 != hex.EncodeToString(h.Sum(nil)) {
		t.Errorf("message.file = %+v", file)
	}
	for _, body := range []string{
		fmt.Sprintf(`{"chat":{"kind":"user","id":%d},"file":{"size":10}}`, alice.UserID),                    // no media
		fmt.Sprintf(`{"chat":{"kind":"user","id":%d},"media":"photo","file":{"size":0}}`, alice.UserID),     // empty
		fmt.Sprintf(`{"chat":{"kind":"user","id":%d},"media":"document","file":{"size":-1}}`, alice.UserID), // negative
	} {
		if a := f.call(t, "message.inject", body); a.OK || a.Error.Code != CodeInvalidArgument {
			t.Errorf("message.inject %s: %+v, want INVALID_ARGUMENT", body, a)
		}
	}
	if a := f.call(t, "message.file", fmt.Sprintf(`{"chat":{"kind":"user","id":%d},"message_id":9999}`, alice.UserID)); a.OK || a.Error.Code != CodeNotFound {
		t.Errorf("message.file of a missing message: %+v, want NOT_FOUND", a)
	}
}
