package simctl

import (
	"bytes"
	"encoding/json"
)

// sameChatSpellings rewrites a request's "chat" written as commands used to
// name chats, {"peer_kind": "channel", "peer_id": 123}, into the canonical
// {"kind": "channel", "id": 123}, so that both spellings are accepted and
// decode stays strict about everything else. A body it cannot read is
// returned unchanged for decode to report.
func sameChatSpellings(data []byte) []byte {
	if !bytes.Contains(data, []byte(`"peer_`)) {
		return data
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(data, &body) != nil {
		return data
	}
	var chat map[string]json.RawMessage
	if json.Unmarshal(body["chat"], &chat) != nil {
		return data
	}
	renamed := false
	for old, canonical := range map[string]string{"peer_kind": "kind", "peer_id": "id"} {
		v, ok := chat[old]
		if !ok {
			continue
		}
		if _, both := chat[canonical]; both {
			return data // both spellings at once: decode reports the unknown field
		}
		delete(chat, old)
		chat[canonical] = v
		renamed = true
	}
	if !renamed {
		return data
	}
	var err error
	if body["chat"], err = json.Marshal(chat); err != nil {
		return data
	}
	out, err := json.Marshal(body)
	if err != nil {
		return data
	}
	return out
}
