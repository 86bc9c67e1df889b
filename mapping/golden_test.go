package mapping_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/gotd/td/tg"
	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json golden files")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	account = "main"
	date    = 1714566600 // 2024-05-01T12:30:00Z
	selfID  = 100
	alice   = 200
	botID   = 300
	family  = 400 // basic group
	gophers = 500 // supergroup (forum)
	news    = 600 // broadcast channel
)

// entities is what Telegram delivers alongside the updates of these cases.
func entities() tg.Entities {
	return tg.Entities{
		Users: map[int64]*tg.User{
			selfID: {ID: selfID, Self: true, FirstName: "Me", Username: "me"},
			alice:  {ID: alice, FirstName: "Alice", LastName: "Smith", Username: "alice"},
			botID:  {ID: botID, Bot: true, FirstName: "Helper", Usernames: []tg.Username{{Username: "old"}, {Username: "helperbot", Active: true}}},
		},
		Chats: map[int64]*tg.Chat{
			family: {ID: family, Title: "Family"},
		},
		Channels: map[int64]*tg.Channel{
			gophers: {ID: gophers, Title: "Gophers", Username: "gophers", Megagroup: true, Forum: true},
			news:    {ID: news, Title: "News", Username: "news", Broadcast: true},
		},
	}
}

// resolver is the in-memory twin of the message-id index.
type resolver map[int]schema.PeerRef

func (r resolver) MessagePeer(id int) (schema.PeerRef, bool) {
	p, ok := r[id]
	return p, ok
}

var _ mapping.Resolver = resolver(nil)

type goldenCase struct {
	name   string
	update tg.UpdateClass
	ent    tg.Entities
	r      mapping.Resolver
	at     int // date of the containing updates
	want   int // number of events
}

func goldenCases() []goldenCase {
	ent := entities()
	cases := []goldenCase{
		{name: "private_in", ent: ent, want: 1, update: &tg.UpdateNewMessage{Message: &tg.Message{
			ID: 10, PeerID: &tg.PeerUser{UserID: alice}, Date: date, Message: "hi there",
			Entities: []tg.MessageEntityClass{&tg.MessageEntityBold{Offset: 0, Length: 2}},
		}}},
		{name: "private_out", ent: ent, want: 1, update: &tg.UpdateNewMessage{Message: &tg.Message{
			ID: 11, Out: true, PeerID: &tg.PeerUser{UserID: alice}, Date: date + 1, Message: "hello Alice",
			ReplyTo: &tg.MessageReplyHeader{ReplyToMsgID: 10},
		}}},
		{name: "private_short_in", want: 1, update: mapping.ShortMessage(&tg.UpdateShortMessage{
			ID: 12, UserID: alice, Date: date + 2, Message: "short one", Silent: true,
		}, selfID)},
		{name: "private_short_out", want: 1, update: mapping.ShortMessage(&tg.UpdateShortMessage{
			ID: 13, Out: true, UserID: alice, Date: date + 3, Message: "short reply",
		}, selfID)},
		{name: "basic_group", ent: ent, want: 1, update: mapping.ShortChatMessage(&tg.UpdateShortChatMessage{
			ID: 14, FromID: alice, ChatID: family, Date: date + 4, Message: "dinner at 8? /start@helperbot",
			Entities: []tg.MessageEntityClass{&tg.MessageEntityBotCommand{Offset: 13, Length: 16}},
			FwdFrom:  tg.MessageFwdHeader{Date: date - 60, FromName: "Hidden Person"},
		})},
		{name: "supergroup_topic", ent: ent, want: 1, update: &tg.UpdateNewChannelMessage{Message: &tg.Message{
			ID: 20, FromID: &tg.PeerUser{UserID: botID}, PeerID: &tg.PeerChannel{ChannelID: gophers}, Date: date + 5,
			Message: "see https://go.dev", ViaBotID: botID,
			ReplyTo: &tg.MessageReplyHeader{ForumTopic: true, ReplyToMsgID: 19, ReplyToTopID: 3},
			Entities: []tg.MessageEntityClass{
				&tg.MessageEntityURL{Offset: 4, Length: 14},
				&tg.MessageEntityUnknown{Offset: 0, Length: 3},
			},
			Media: &tg.MessageMediaPhoto{Photo: &tg.Photo{
				ID: 777, AccessHash: 888, FileReference: []byte{1, 2, 3}, DCID: 2,
				Sizes: []tg.PhotoSizeClass{
					&tg.PhotoStrippedSize{Type: "i", Bytes: []byte{1}},
					&tg.PhotoSize{Type: "m", W: 320, H: 240, Size: 12000},
					&tg.PhotoSizeProgressive{Type: "y", W: 1280, H: 960, Sizes: []int{1000, 50000, 90000}},
				},
			}},
		}}},
		{name: "broadcast_post", ent: ent, want: 1, update: &tg.UpdateNewChannelMessage{Message: &tg.Message{
			ID: 30, Post: true, PeerID: &tg.PeerChannel{ChannelID: news}, Date: date + 6,
			Message: "Breaking: gophers everywhere", PostAuthor: "Editor", GroupedID: 123456789,
			FwdFrom: tg.MessageFwdHeader{Date: date - 3600, FromID: &tg.PeerChannel{ChannelID: gophers}, ChannelPost: 5, PostAuthor: "Rob"},
			Media: &tg.MessageMediaDocument{Document: &tg.Document{
				ID: 999, AccessHash: 1111, FileReference: []byte("ref"), DCID: 4, MimeType: "video/mp4", Size: 1 << 20,
				Attributes: []tg.DocumentAttributeClass{
					&tg.DocumentAttributeVideo{W: 1920, H: 1080, Duration: 12.5, SupportsStreaming: true},
					&tg.DocumentAttributeFilename{FileName: "gophers.mp4"},
				},
			}},
		}}},
		{name: "edit_private", ent: ent, want: 1, update: &tg.UpdateEditMessage{Message: &tg.Message{
			ID: 11, Out: true, PeerID: &tg.PeerUser{UserID: alice}, Date: date + 1, EditDate: date + 100, Message: "hello Alice (edited)",
		}}},
		{name: "edit_channel", ent: ent, want: 1, update: &tg.UpdateEditChannelMessage{Message: &tg.Message{
			ID: 30, Post: true, PeerID: &tg.PeerChannel{ChannelID: news}, Date: date + 6, EditDate: date + 200,
			Message: "Breaking: gophers everywhere (update)",
		}}},
		{name: "delete_private", want: 2, at: date + 300,
			r:      resolver{10: {Kind: schema.PeerUser, ID: alice}},
			update: &tg.UpdateDeleteMessages{Messages: []int{10, 99}}},
		{name: "delete_channel", ent: ent, want: 2, at: date + 400,
			update: &tg.UpdateDeleteChannelMessages{ChannelID: gophers, Messages: []int{20, 21}}},
		{name: "service_chat_create", ent: ent, want: 1, update: &tg.UpdateNewMessage{Message: &tg.MessageService{
			ID: 1, Out: true, FromID: &tg.PeerUser{UserID: selfID}, PeerID: &tg.PeerChat{ChatID: family}, Date: date - 86400,
			Action: &tg.MessageActionChatCreate{Title: "Family", Users: []int64{selfID, alice}},
		}}},
		{name: "service_pin", ent: ent, want: 1, update: &tg.UpdateNewChannelMessage{Message: &tg.MessageService{
			ID: 22, FromID: &tg.PeerUser{UserID: alice}, PeerID: &tg.PeerChannel{ChannelID: gophers}, Date: date + 7,
			ReplyTo: &tg.MessageReplyHeader{ReplyToMsgID: 20}, Action: &tg.MessageActionPinMessage{},
		}}},
		{name: "service_unsupported", ent: ent, want: 1, update: &tg.UpdateNewChannelMessage{Message: &tg.MessageService{
			ID: 23, FromID: &tg.PeerUser{UserID: alice}, PeerID: &tg.PeerChannel{ChannelID: gophers}, Date: date + 8,
			Action: &tg.MessageActionGameScore{GameID: 1, Score: 42},
		}}},
		// The account is a bot: Alice pressed a button under its message 11.
		{name: "callback_private", ent: ent, want: 1, at: date + 500, update: &tg.UpdateBotCallbackQuery{
			QueryID: -8070450532247928832, UserID: alice, Peer: &tg.PeerUser{UserID: alice}, MsgID: 11,
			ChatInstance: 6917529027641081856, Data: []byte("vote:yes"),
		}},
		// In a supergroup, with callback data that is not text.
		{name: "callback_binary", ent: ent, want: 1, at: date + 600, update: &tg.UpdateBotCallbackQuery{
			QueryID: 42, UserID: alice, Peer: &tg.PeerChannel{ChannelID: gophers}, MsgID: 20,
			ChatInstance: -17, Data: []byte{0xff, 0x00, 0x01},
		}},
		// A reply in a forum topic quoting part of the replied message, with
		// a video whose thumbnails and data centre are described.
		{name: "reply_quote_topic", ent: ent, want: 1, update: &tg.UpdateNewChannelMessage{Message: &tg.Message{
			ID: 24, FromID: &tg.PeerUser{UserID: alice}, PeerID: &tg.PeerChannel{ChannelID: gophers}, Date: date + 9,
			Message: "exactly this",
			ReplyTo: &tg.MessageReplyHeader{ForumTopic: true, Quote: true, ReplyToMsgID: 20, ReplyToTopID: 3,
				QuoteText: "https://go.dev", QuoteOffset: 4,
				QuoteEntities: []tg.MessageEntityClass{&tg.MessageEntityURL{Offset: 0, Length: 14}}},
			Media: &tg.MessageMediaDocument{Video: true, Document: &tg.Document{
				ID: 1001, AccessHash: 1002, FileReference: []byte("vid"), DCID: 5, MimeType: "video/mp4", Size: 5 << 20,
				Thumbs: []tg.PhotoSizeClass{
					&tg.PhotoStrippedSize{Type: "i", Bytes: []byte{1, 2}},
					&tg.PhotoSize{Type: "m", W: 320, H: 180, Size: 9000},
				},
				Attributes: []tg.DocumentAttributeClass{&tg.DocumentAttributeVideo{W: 1280, H: 720, Duration: 31.5}},
			}},
		}}},
		// Bot queries that name no chat: on Alice's private chat with the bot.
		{name: "callback_inline", ent: ent, want: 1, at: date + 700, update: &tg.UpdateInlineBotCallbackQuery{
			QueryID: 7001, UserID: alice, MsgID: &tg.InputBotInlineMessageID64{DCID: 2, OwnerID: alice, ID: 55, AccessHash: 66},
			ChatInstance: 123, Data: []byte("like"),
		}},
		{name: "inline_query", ent: ent, want: 1, at: date + 710, update: &tg.UpdateBotInlineQuery{
			QueryID: 7002, UserID: alice, Query: "gophers", Offset: "10",
			PeerType: &tg.InlineQueryPeerTypeMegagroup{}, Geo: &tg.GeoPoint{Lat: 52.52, Long: 13.405, AccuracyRadius: 30},
		}},
		{name: "inline_send", ent: ent, want: 1, at: date + 720, update: &tg.UpdateBotInlineSend{
			UserID: alice, Query: "gophers", ID: "result-1",
			MsgID: &tg.InputBotInlineMessageID64{DCID: 2, OwnerID: alice, ID: 55, AccessHash: 66},
		}},
		{name: "precheckout_query", ent: ent, want: 1, at: date + 730, update: &tg.UpdateBotPrecheckoutQuery{
			QueryID: 7003, UserID: alice, Payload: []byte("order-17"), Currency: "EUR", TotalAmount: 1299, ShippingOptionID: "dhl",
			Info: tg.PaymentRequestedInfo{Name: "Alice Smith", Email: "alice@example.org", ShippingAddress: tg.PostAddress{
				StreetLine1: "Unter den Linden 1", City: "Berlin", CountryISO2: "DE", PostCode: "10117",
			}},
		}},
		{name: "shipping_query", ent: ent, want: 1, at: date + 740, update: &tg.UpdateBotShippingQuery{
			QueryID: 7004, UserID: alice, Payload: []byte{0xfe, 0x01},
			ShippingAddress: tg.PostAddress{StreetLine1: "Unter den Linden 1", City: "Berlin", CountryISO2: "DE", PostCode: "10117"},
		}},
	}
	return append(cases, memberCases(ent)...)
}

// encodeGolden renders events as the structured CloudEvents they are
// published as, in canonical form (sorted keys, indented): one object for a
// single event, an array for several.
func encodeGolden(t *testing.T, evs []schema.Event) []byte {
	t.Helper()
	var docs []any
	for i := range evs {
		msg, err := schema.Encoder{Mode: schema.ModeStructured}.Encode(&evs[i])
		if err != nil {
			t.Fatalf("encode event %d: %v", i, err)
		}
		var doc any
		if err := json.Unmarshal(msg.Data, &doc); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
	}
	var v any = docs
	if len(docs) == 1 {
		v = docs[0]
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestGolden(t *testing.T) {
	for _, tc := range append(goldenCases(), reactionReadPinPollCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := mapping.Update(account, tc.update, tc.ent, tc.at, tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != tc.want {
				t.Fatalf("got %d events, want %d", len(evs), tc.want)
			}
			for i := range evs {
				assertValidCloudEvent(t, &evs[i])
			}
			compareGolden(t, tc.name, encodeGolden(t, evs))
		})
	}
}

// compareGolden compares got with testdata/<name>.json, or writes it
// there with -update.
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./mapping -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from mapping output (run with -update if intended)\n--- got\n%s", path, got)
	}
}

// assertValidCloudEvent encodes ev in both content modes and checks that
// each decodes into an event that passes sdk-go's validation with the same id.
func assertValidCloudEvent(t *testing.T, ev *schema.Event) {
	t.Helper()
	for _, mode := range []schema.Mode{schema.ModeBinary, schema.ModeStructured} {
		msg, err := schema.Encoder{Mode: mode}.Encode(ev)
		if err != nil {
			t.Fatalf("%v: encode: %v", mode, err)
		}
		ce, err := schema.Decode(msg)
		if err != nil {
			t.Fatalf("%v: decode: %v", mode, err)
		}
		if err := ce.Validate(); err != nil {
			t.Fatalf("%v: validate: %v", mode, err)
		}
		if ce.ID() != ev.ID || msg.Header.Get("Nats-Msg-Id") != ev.ID {
			t.Fatalf("%v: id %q / Nats-Msg-Id %q, want %q", mode, ce.ID(), msg.Header.Get("Nats-Msg-Id"), ev.ID)
		}
	}
}
