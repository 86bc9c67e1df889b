package schema

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
)

// Live signals (issue 12): ephemeral changes (typing and other chat
// actions, online status) published on core NATS subjects
// <prefix>.<account>.live.<kind>.<action>.<peer_kind>.<peer_id>. They are
// not events: never stored, not in the outbox, not exactly-once, dropped
// while NATS is disconnected; a consumer sees those that arrive while it
// is subscribed.
const (
	// LiveTyping is the kind of chat actions: the action is the chat
	// action (typing, cancel, upload_photo, record_voice, …).
	LiveTyping = "typing"
	// LiveStatus is the kind of online status: the action is the status
	// (online, offline, recently, last_week, last_month, empty), on the
	// user's private chat.
	LiveStatus = "status"
	// LiveFile is the kind of file transfer progress: the action is
	// LiveProgress, on the chat of the message the file is of or is sent
	// to (unknown.0 for a download by file_ref). Only transfers of at
	// least files.progress_bytes send it.
	LiveFile = "file"
	// LiveProgress is the action of file progress signals.
	LiveProgress = "progress"
	// liveType is the first part of a signal's CloudEvent type,
	// org.tgnats.live.<kind>.v1.
	liveType = "live"
)

// LiveSignal is one ephemeral signal.
type LiveSignal struct {
	Account string
	// Kind is LiveTyping or LiveStatus; Action the chat action or status.
	Kind   string
	Action string
	// Peer is the chat: where a user types, or the user's private chat.
	Peer PeerRef
	// Time is when the signal was received (Telegram gives none).
	Time time.Time
	// Data is *Typing, *UserStatus or *FileProgress.
	Data any
}

// Subject returns the signal's subject,
// <prefix>.<account>.live.<kind>.<action>.<peer_kind>.<peer_id>.
func (s *LiveSignal) Subject(prefix string) string {
	return LiveSubject(prefix, s.Account, fmt.Sprintf("%s.%s.%s.%d", s.Kind, s.Action, s.Peer.Kind, s.Peer.ID))
}

// Msg renders s as a core NATS message: the JSON body with the binary-mode
// CloudEvents headers of an event (ce-type org.tgnats.live.<kind>.v1). Its
// ce-id is not durable: the time of receipt makes it unique, nothing
// deduplicates it.
func (s *LiveSignal) Msg(prefix string) (*nats.Msg, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !validPrefix(prefix) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidPrefix, prefix)
	}
	data, err := json.Marshal(s.Data)
	if err != nil {
		return nil, fmt.Errorf("live signal: marshal data: %w", err)
	}
	msg := nats.NewMsg(s.Subject(prefix))
	h := msg.Header
	h.Set(HeaderCESpecVersion, event.CloudEventsVersionV1)
	h.Set(HeaderCEID, EventID(s.Account, s.Peer, 0, liveType+"."+s.Kind, s.Action, s.Time.UnixNano()))
	h.Set(HeaderCESource, "tgnats://"+s.Account)
	h.Set(HeaderCEType, TypeName(liveType, s.Kind))
	h.Set(HeaderCETime, s.Time.UTC().Format(time.RFC3339Nano))
	h.Set(HeaderCESubject, string(s.Peer.Kind)+"/"+strconv.FormatInt(s.Peer.ID, 10))
	h.Set(HeaderCEDataContentType, "application/json")
	h.Set(HeaderCEDataSchema, DataSchema(liveType, s.Kind))
	h.Set(HeaderCEPartitionKey, s.Peer.PartitionKey())
	msg.Data = data
	return msg, nil
}

// Typing is the body of typing signals: a user (or a channel posting as
// itself) shows a chat action in a chat.
type Typing struct {
	Account string `json:"account"`
	Chat    Chat   `json:"chat"`
	From    Sender `json:"from"`
	// Action is the chat action: typing, cancel, record_video,
	// upload_video, record_voice, upload_voice, upload_photo,
	// upload_document, find_location, choose_contact, game_play,
	// record_video_note, upload_video_note, speaking, history_import, choose_sticker,
	// emoji, emoji_seen, or unsupported.
	Action string `json:"action"`
	// ThreadID is the forum topic or thread, when the action is in one.
	ThreadID int `json:"thread_id,omitempty"`
	// Progress is an upload's progress in percent.
	Progress int `json:"progress,omitempty"`
	// Emoticon is the emoji of an emoji interaction.
	Emoticon string `json:"emoticon,omitempty"`
}

// UserStatus is the body of status signals: a user's online status.
type UserStatus struct {
	Account string `json:"account"`
	Chat    Chat   `json:"chat"`
	User    Sender `json:"user"`
	// Status is online, offline, recently, last_week, last_month or empty.
	Status string `json:"status"`
	// Expires is when an online status lapses unless renewed.
	Expires *time.Time `json:"expires,omitempty"`
	// WasOnline is when an offline user was last online.
	WasOnline *time.Time `json:"was_online,omitempty"`
}

// FileProgress is the body of file progress signals: how far a transfer
// between Telegram and the files bucket is. Signals are throttled (about
// two a second) and the last one has Done set; a transfer that fails
// sends no Done.
type FileProgress struct {
	Account string `json:"account"`
	// Direction is download (Telegram to the bucket) or upload.
	Direction string `json:"direction"`
	// CommandID is the id of the media.download or media.send command;
	// empty for the automatic download (files.auto_download).
	CommandID string `json:"command_id,omitempty"`
	Bucket    string `json:"bucket"`
	Object    string `json:"object"`
	// Bytes have been moved of Total (0: not known).
	Bytes int64 `json:"bytes"`
	Total int64 `json:"total,omitempty"`
	// Done is set on the last signal, once every byte is moved.
	Done bool `json:"done,omitempty"`
}
