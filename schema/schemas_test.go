package schema_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tgnats/tgnats/internal/schemacheck"
	"github.com/tgnats/tgnats/schema"
)

// bodyTypes maps each schema to the Go type of its body: the source of truth.
var bodyTypes = map[string]reflect.Type{
	schema.SchemaName(schema.KindMessage, schema.ActionCreated):   reflect.TypeFor[schema.Message](),
	schema.SchemaName(schema.KindMessage, schema.ActionEdited):    reflect.TypeFor[schema.Message](),
	schema.SchemaName(schema.KindMessage, schema.ActionDeleted):   reflect.TypeFor[schema.MessageDeleted](),
	schema.SchemaName(schema.KindCallback, schema.ActionQuery):    reflect.TypeFor[schema.CallbackQuery](),
	schema.SchemaName(schema.KindCommand, schema.ActionCompleted): reflect.TypeFor[schema.CommandResult](),
	schema.SchemaName(schema.KindCommand, schema.ActionFailed):    reflect.TypeFor[schema.CommandResult](),
	// Bot queries (issue 12).
	schema.SchemaName(schema.KindInline, schema.ActionQuery):      reflect.TypeFor[schema.InlineQuery](),
	schema.SchemaName(schema.KindInline, schema.ActionChosen):     reflect.TypeFor[schema.InlineChosen](),
	schema.SchemaName(schema.KindPrecheckout, schema.ActionQuery): reflect.TypeFor[schema.PrecheckoutQuery](),
	schema.SchemaName(schema.KindShipping, schema.ActionQuery):    reflect.TypeFor[schema.ShippingQuery](),
	// Members, bots, chats and users (issue 12).
	schema.SchemaName(schema.KindMember, schema.ActionMemberJoined):  reflect.TypeFor[schema.MemberChange](),
	schema.SchemaName(schema.KindMember, schema.ActionMemberLeft):    reflect.TypeFor[schema.MemberChange](),
	schema.SchemaName(schema.KindMember, schema.ActionMemberUpdated): reflect.TypeFor[schema.MemberChange](),
	schema.SchemaName(schema.KindMember, schema.ActionJoinRequested): reflect.TypeFor[schema.JoinRequest](),
	schema.SchemaName(schema.KindMember, schema.ActionJoinPending):   reflect.TypeFor[schema.JoinPending](),
	schema.SchemaName(schema.KindBot, schema.ActionBotStopped):       reflect.TypeFor[schema.BotBlock](),
	schema.SchemaName(schema.KindBot, schema.ActionBotRestarted):     reflect.TypeFor[schema.BotBlock](),
	schema.SchemaName(schema.KindChat, schema.ActionChatUpdated):     reflect.TypeFor[schema.ChatUpdate](),
	schema.SchemaName(schema.KindChat, schema.ActionChatMembers):     reflect.TypeFor[schema.ChatMembers](),
	schema.SchemaName(schema.KindUser, schema.ActionUserUpdated):     reflect.TypeFor[schema.UserUpdate](),
	// Live signals (issue 12): core NATS, not stored.
	schema.SchemaName("live", schema.LiveTyping): reflect.TypeFor[schema.Typing](),
	schema.SchemaName("live", schema.LiveStatus): reflect.TypeFor[schema.UserStatus](),
	schema.SchemaName("live", schema.LiveFile):   reflect.TypeFor[schema.FileProgress](),
}

// updateBodyTypes are the bodies of reactions, read receipts, pins and polls (issue 12).
var updateBodyTypes = map[string]reflect.Type{
	schema.SchemaName(schema.KindReaction, schema.ActionUpdated): reflect.TypeFor[schema.ReactionsUpdated](),
	schema.SchemaName(schema.KindReaction, schema.ActionChanged): reflect.TypeFor[schema.ReactionChanged](),
	schema.SchemaName(schema.KindRead, schema.ActionInbox):       reflect.TypeFor[schema.ReadReceipt](),
	schema.SchemaName(schema.KindRead, schema.ActionOutbox):      reflect.TypeFor[schema.ReadReceipt](),
	schema.SchemaName(schema.KindRead, schema.ActionContents):    reflect.TypeFor[schema.ReadContents](),
	schema.SchemaName(schema.KindMessage, schema.ActionPinned):   reflect.TypeFor[schema.MessagePin](),
	schema.SchemaName(schema.KindMessage, schema.ActionUnpinned): reflect.TypeFor[schema.MessagePin](),
	schema.SchemaName(schema.KindPoll, schema.ActionUpdated):     reflect.TypeFor[schema.PollUpdated](),
	schema.SchemaName(schema.KindPoll, schema.ActionVoted):       reflect.TypeFor[schema.PollVoted](),
}

func init() {
	for name, typ := range updateBodyTypes {
		bodyTypes[name] = typ
	}
	// Command bodies: command.<action>.v1.json.
	for _, action := range schema.CommandNames() {
		cmd, err := schema.NewCommand(action)
		if err != nil {
			panic(err)
		}
		bodyTypes[schema.CommandSchemaName(action)] = reflect.TypeOf(cmd.Body).Elem()
	}
}

func loadSchemas(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for name, b := range schema.Schemas() {
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = doc
	}
	return out
}

func TestSchemasCoverBodies(t *testing.T) {
	docs := loadSchemas(t)
	var names []string
	for name := range docs {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{"message.created.v1.json", "message.deleted.v1.json", "message.edited.v1.json",
		"callback.query.v1.json", "command.completed.v1.json", "command.failed.v1.json"}
	want = append(want, "inline.query.v1.json", "inline.chosen.v1.json", "precheckout.query.v1.json", "shipping.query.v1.json")
	// Members, bots, chats and users (issue 12).
	want = append(want, "member.joined.v1.json", "member.left.v1.json", "member.updated.v1.json",
		"member.join_requested.v1.json", "member.join_pending.v1.json", "bot.stopped.v1.json",
		"bot.restarted.v1.json", "chat.updated.v1.json", "chat.members.v1.json", "user.updated.v1.json",
		"live.typing.v1.json", "live.status.v1.json", "live.file.v1.json")
	for _, action := range schema.CommandNames() {
		want = append(want, schema.SchemaName(schema.KindCommand, action))
	}
	for name := range updateBodyTypes {
		want = append(want, name)
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("Schemas() = %v, want %v", names, want)
	}
	for name, doc := range docs {
		kind, action, _ := strings.Cut(strings.TrimSuffix(name, ".v1.json"), ".")
		if doc["$id"] != schema.DataSchema(kind, action) {
			t.Errorf("%s: $id = %v, want %s", name, doc["$id"], schema.DataSchema(kind, action))
		}
		if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema = %v", name, doc["$schema"])
		}
	}
}

// TestSchemasMatchGoTypes walks each schema alongside its Go type: every
// json-tagged field must be a property of the right JSON type, required
// exactly when it has no omitempty, and no property may lack a field.
func TestSchemasMatchGoTypes(t *testing.T) {
	for name, doc := range loadSchemas(t) {
		t.Run(name, func(t *testing.T) {
			typ, ok := bodyTypes[name]
			if !ok {
				t.Fatalf("no Go type registered for %s", name)
			}
			matchType(t, doc, doc, typ, "$")
		})
	}
}

func resolve(t *testing.T, root, node map[string]any) map[string]any {
	t.Helper()
	ref, ok := node["$ref"].(string)
	if !ok {
		return node
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	defs, _ := root["$defs"].(map[string]any)
	target, found := defs[name].(map[string]any)
	if !ok || !found {
		t.Fatalf("unresolvable $ref %q", ref)
	}
	return resolve(t, root, target)
}

func matchType(t *testing.T, root, node map[string]any, typ reflect.Type, path string) {
	t.Helper()
	node = resolve(t, root, node)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	wantType := func(want string) {
		t.Helper()
		if node["type"] != want {
			t.Errorf("%s: schema type %v, Go type %s wants %q", path, node["type"], typ, want)
		}
	}
	if typ == reflect.TypeFor[schema.PeerInput]() {
		// Three JSON forms (object, Bot API id, "@username"): see PeerInput.UnmarshalJSON.
		if forms, _ := node["oneOf"].([]any); len(forms) != 3 {
			t.Errorf("%s: PeerInput wants a oneOf of its 3 forms", path)
		}
		return
	}
	if typ == reflect.TypeFor[[]byte]() {
		wantType("string")
		if node["contentEncoding"] != "base64" {
			t.Errorf("%s: []byte field without contentEncoding base64", path)
		}
		return
	}
	if typ == reflect.TypeFor[time.Time]() {
		wantType("string")
		if node["format"] != "date-time" {
			t.Errorf("%s: time field without format date-time", path)
		}
		return
	}
	switch typ.Kind() {
	case reflect.Struct:
		wantType("object")
		props, _ := node["properties"].(map[string]any)
		var required []string
		seen := map[string]bool{}
		for f := range typ.Fields() {
			tag := f.Tag.Get("json")
			if tag == "-" || !f.IsExported() {
				continue
			}
			jsonName, opts, _ := strings.Cut(tag, ",")
			seen[jsonName] = true
			if !strings.Contains(opts, "omitempty") {
				required = append(required, jsonName)
			}
			prop, ok := props[jsonName].(map[string]any)
			if !ok {
				t.Errorf("%s: field %s (%q) missing from schema properties", path, f.Name, jsonName)
				continue
			}
			matchType(t, root, prop, f.Type, path+"."+jsonName)
			checkTLRange(t, root, prop, f, path+"."+jsonName)
		}
		for p := range props {
			if !seen[p] {
				t.Errorf("%s: schema property %q has no Go field", path, p)
			}
		}
		var gotRequired []string
		if req, ok := node["required"].([]any); ok {
			for _, r := range req {
				gotRequired = append(gotRequired, fmt.Sprint(r))
			}
		}
		slices.Sort(required)
		slices.Sort(gotRequired)
		if !slices.Equal(required, gotRequired) {
			t.Errorf("%s: required = %v, Go fields without omitempty = %v", path, gotRequired, required)
		}
	case reflect.Slice:
		wantType("array")
		items, ok := node["items"].(map[string]any)
		if !ok {
			t.Errorf("%s: array without items", path)
			return
		}
		matchType(t, root, items, typ.Elem(), path+"[]")
	case reflect.String:
		wantType("string")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		wantType("integer")
	case reflect.Float32, reflect.Float64:
		wantType("number")
	case reflect.Bool:
		wantType("boolean")
	default:
		t.Errorf("%s: Go kind %s has no JSON Schema mapping in this test", path, typ.Kind())
	}
}

func fullMessage() *schema.Message {
	date := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	edit := date.Add(time.Minute)
	peer := schema.PeerRef{Kind: schema.PeerChannel, ID: 1234567}
	return &schema.Message{
		Account:   "main",
		Chat:      schema.Chat{Kind: peer.Kind, ID: peer.ID, IDStr: "1234567", BotAPIID: peer.BotAPIID(), Title: "News", Username: "news", Broadcast: true},
		Sender:    &schema.Sender{Kind: schema.PeerUser, ID: 7, IDStr: "7", FirstName: "Ann", LastName: "Lee", Username: "ann", IsBot: true},
		MessageID: 42,
		Date:      date,
		EditDate:  &edit,
		Out:       true,
		Silent:    true,
		Post:      true,
		Text:      "hello",
		Entities:  []schema.Entity{{Type: "text_url", Offset: 0, Length: 5, URL: "https://x"}, {Type: "unsupported", Constructor: "messageEntityNew"}},
		ReplyTo: &schema.ReplyTo{MessageID: 41, Peer: &peer, TopID: 40, Quote: true,
			QuoteText: "hel", QuoteEntities: []schema.Entity{{Type: "bold", Offset: 0, Length: 3}}, QuoteOffset: 2},
		ThreadID: 40,
		Forward:  &schema.ForwardOrigin{Date: date, From: &peer, FromName: "x", MessageID: 3, PostAuthor: "y"},
		Media: &schema.Media{Type: "document", FileRef: "AQI", MimeType: "a/b", Size: 10, FileName: "f", Width: 1, Height: 2, Duration: 1.5, Spoiler: true,
			DCID: 2, Thumbs: []schema.Thumb{{Type: "m", Width: 320, Height: 240, Size: 9000}}},
		Action:     &schema.ServiceAction{Type: "chat_create", Title: "t", UserIDs: []int64{1, 2}},
		GroupedID:  99,
		ViaBotID:   5,
		PostAuthor: "z",
	}
}

func fullCallbackQuery() *schema.CallbackQuery {
	peer := schema.PeerRef{Kind: schema.PeerChannel, ID: 1234567}
	return &schema.CallbackQuery{
		Account:      "main",
		Chat:         schema.Chat{Kind: peer.Kind, ID: peer.ID, IDStr: "1234567", BotAPIID: peer.BotAPIID(), Title: "Gophers", Username: "gophers"},
		From:         schema.Sender{Kind: schema.PeerUser, ID: 7, IDStr: "7", FirstName: "Ann", LastName: "Lee", Username: "ann"},
		MessageID:    42,
		QueryID:      "-8070450532247928832",
		Data:         []byte("vote:yes"),
		DataText:     "vote:yes",
		ChatInstance: "-6917529027641081856",
	}
}

// botQueries are bodies of the bot query events with every field set.
type botQueries struct {
	inline      *schema.InlineQuery
	chosen      *schema.InlineChosen
	precheckout *schema.PrecheckoutQuery
	shipping    *schema.ShippingQuery
}

func fullBotQueries() botQueries {
	user := schema.PeerRef{Kind: schema.PeerUser, ID: 7}
	chat := schema.Chat{Kind: user.Kind, ID: user.ID, IDStr: "7", BotAPIID: 7, Title: "Ann Lee", Username: "ann"}
	from := schema.Sender{Kind: schema.PeerUser, ID: 7, IDStr: "7", FirstName: "Ann", LastName: "Lee", Username: "ann"}
	geo := &schema.Geo{Latitude: 52.5, Longitude: 13.4, AccuracyRadius: 20}
	addr := schema.PostAddress{StreetLine1: "Main St 1", StreetLine2: "2nd floor", City: "Berlin", State: "BE", CountryCode: "DE", PostCode: "10115"}
	return botQueries{
		inline: &schema.InlineQuery{Account: "main", Chat: chat, From: from, QueryID: "-8070450532247928832", Query: "gophers",
			Offset: "10", PeerType: schema.InlinePeerMegagroup, Geo: geo},
		chosen: &schema.InlineChosen{Account: "main", Chat: chat, From: from, ResultID: "r1", Query: "gophers", Geo: geo, InlineMessageID: "AQIDBA"},
		precheckout: &schema.PrecheckoutQuery{Account: "main", Chat: chat, From: from, QueryID: "42", Payload: []byte("order-1"), PayloadText: "order-1",
			Currency: "EUR", TotalAmount: 1250, ShippingOptionID: "dhl",
			OrderInfo: &schema.OrderInfo{Name: "Ann Lee", Phone: "+49", Email: "ann@example.org", ShippingAddress: &addr}},
		shipping: &schema.ShippingQuery{Account: "main", Chat: chat, From: from, QueryID: "43", Payload: []byte("order-1"), PayloadText: "order-1", ShippingAddress: addr},
	}
}

func TestBodiesConform(t *testing.T) {
	docs := loadSchemas(t)
	toJSON := func(v any) any {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	unknown := schema.NewChat(schema.PeerRef{Kind: schema.PeerUnknown})
	tests := []struct {
		name    string
		schema  string
		body    any
		wantErr bool
	}{
		{name: "full message created", schema: "message.created.v1.json", body: toJSON(fullMessage())},
		{name: "full message edited", schema: "message.edited.v1.json", body: toJSON(fullMessage())},
		{name: "minimal message", schema: "message.created.v1.json", body: toJSON(&schema.Message{Account: "a", Chat: schema.NewChat(schema.PeerRef{Kind: schema.PeerUser, ID: 1}), Date: time.Unix(1, 0)})},
		{name: "deleted unknown chat", schema: "message.deleted.v1.json", body: toJSON(&schema.MessageDeleted{Account: "a", Chat: unknown, MessageID: 1})},
		{name: "full callback query", schema: "callback.query.v1.json", body: toJSON(fullCallbackQuery())},
		{name: "game callback query", schema: "callback.query.v1.json", body: toJSON(&schema.CallbackQuery{Account: "a", Chat: schema.NewChat(schema.PeerRef{Kind: schema.PeerUser, ID: 7}), From: schema.Sender{Kind: schema.PeerUser, ID: 7, IDStr: "7"}, MessageID: 1, QueryID: "-5", ChatInstance: "9", GameShortName: "chess"})},
		{name: "callback query id as number", schema: "callback.query.v1.json", body: func() any {
			b := toJSON(fullCallbackQuery()).(map[string]any)
			b["query_id"] = 1234.0
			return b
		}(), wantErr: true},
		{name: "callback query without from", schema: "callback.query.v1.json", body: func() any {
			b := toJSON(fullCallbackQuery()).(map[string]any)
			delete(b, "from")
			return b
		}(), wantErr: true},
		{name: "inline callback query", schema: "callback.query.v1.json", body: toJSON(&schema.CallbackQuery{Account: "a", Chat: schema.NewChat(schema.PeerRef{Kind: schema.PeerUser, ID: 7}), From: schema.Sender{Kind: schema.PeerUser, ID: 7, IDStr: "7"}, InlineMessageID: "AQID", QueryID: "5", ChatInstance: "9", Data: []byte("x")})},
		{name: "full inline query", schema: "inline.query.v1.json", body: toJSON(fullBotQueries().inline)},
		{name: "inline query bad peer type", schema: "inline.query.v1.json", body: func() any {
			b := toJSON(fullBotQueries().inline).(map[string]any)
			b["peer_type"] = "group"
			return b
		}(), wantErr: true},
		{name: "full inline chosen", schema: "inline.chosen.v1.json", body: toJSON(fullBotQueries().chosen)},
		{name: "full precheckout query", schema: "precheckout.query.v1.json", body: toJSON(fullBotQueries().precheckout)},
		{name: "full shipping query", schema: "shipping.query.v1.json", body: toJSON(fullBotQueries().shipping)},
		{name: "shipping query without address", schema: "shipping.query.v1.json", body: func() any {
			b := toJSON(fullBotQueries().shipping).(map[string]any)
			delete(b, "shipping_address")
			return b
		}(), wantErr: true},
		{name: "missing required", schema: "message.deleted.v1.json", body: map[string]any{"account": "a"}, wantErr: true},
		{name: "wrong type", schema: "message.deleted.v1.json", body: map[string]any{"account": "a", "chat": toJSON(unknown), "message_id": "1"}, wantErr: true},
		{name: "bad peer kind", schema: "message.deleted.v1.json", body: map[string]any{"account": "a", "chat": map[string]any{"kind": "group", "id": 1.0, "id_str": "1", "bot_api_id": 1.0}, "message_id": 1.0}, wantErr: true},
		{name: "bad account", schema: "message.deleted.v1.json", body: map[string]any{"account": "A B", "chat": toJSON(unknown), "message_id": 1.0}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := docs[tt.schema]
			errs := schemacheck.Conform(doc, doc, tt.body, "$")
			if gotErr := len(errs) > 0; gotErr != tt.wantErr {
				t.Fatalf("conform errors = %v, wantErr %v", errs, tt.wantErr)
			}
		})
	}
}

// TestGoldenBodiesConform checks the data of every golden CloudEvent of the
// mapping package against the schema its dataschema names.
func TestGoldenBodiesConform(t *testing.T) {
	docs := loadSchemas(t)
	files, err := filepath.Glob(filepath.Join("..", "mapping", "testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no mapping golden files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// A golden file holds one CloudEvent, or an array of them.
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			events, ok := v.([]any)
			if !ok {
				events = []any{v}
			}
			for i, e := range events {
				ce, _ := e.(map[string]any)
				ds, _ := ce["dataschema"].(string)
				doc, ok := docs[strings.TrimPrefix(ds, schema.SchemaBaseURI)]
				if !ok {
					t.Fatalf("event %d: dataschema %q names no embedded schema", i, ds)
				}
				if errs := schemacheck.Conform(doc, doc, ce["data"], "$"); len(errs) > 0 {
					t.Errorf("event %d: data does not conform:\n%s", i, strings.Join(errs, "\n"))
				}
			}
		})
	}
}

func TestAsyncAPI(t *testing.T) {
	var doc struct {
		AsyncAPI string `yaml:"asyncapi"`
		Channels map[string]struct {
			Address string `yaml:"address"`
		} `yaml:"channels"`
		Components struct {
			Messages map[string]struct {
				Title   string `yaml:"title"`
				Payload struct {
					Schema struct {
						Ref string `yaml:"$ref"`
					} `yaml:"schema"`
				} `yaml:"payload"`
			} `yaml:"messages"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(schema.AsyncAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.AsyncAPI != "3.0.0" {
		t.Errorf("asyncapi = %q", doc.AsyncAPI)
	}
	schemas := schema.Schemas()
	for _, ka := range [][2]string{
		{schema.KindMessage, schema.ActionCreated}, {schema.KindMessage, schema.ActionEdited},
		{schema.KindMessage, schema.ActionDeleted}, {schema.KindCallback, schema.ActionQuery},
		{schema.KindInline, schema.ActionQuery}, {schema.KindInline, schema.ActionChosen},
		{schema.KindPrecheckout, schema.ActionQuery}, {schema.KindShipping, schema.ActionQuery},
		// Reactions, read receipts, pins, polls.
		{schema.KindReaction, schema.ActionUpdated}, {schema.KindReaction, schema.ActionChanged},
		{schema.KindRead, schema.ActionInbox}, {schema.KindRead, schema.ActionOutbox}, {schema.KindRead, schema.ActionContents},
		{schema.KindMessage, schema.ActionPinned}, {schema.KindMessage, schema.ActionUnpinned},
		{schema.KindPoll, schema.ActionUpdated}, {schema.KindPoll, schema.ActionVoted},
		// Members, bots, chats and users (issue 12).
		{schema.KindMember, schema.ActionMemberJoined}, {schema.KindMember, schema.ActionMemberLeft},
		{schema.KindMember, schema.ActionMemberUpdated}, {schema.KindMember, schema.ActionJoinRequested},
		{schema.KindMember, schema.ActionJoinPending}, {schema.KindBot, schema.ActionBotStopped},
		{schema.KindBot, schema.ActionBotRestarted}, {schema.KindChat, schema.ActionChatUpdated},
		{schema.KindUser, schema.ActionUserUpdated},
	} {
		ev := schema.Event{Account: "{account}", Kind: ka[0], Action: ka[1], Peer: schema.PeerRef{Kind: "{peerKind}"}}
		wantAddr := strings.Replace(ev.Subject(schema.DefaultPrefix), ".0", ".{peerId}", 1)
		found := false
		for _, ch := range doc.Channels {
			found = found || ch.Address == wantAddr
		}
		if !found {
			t.Errorf("no channel with address %s", wantAddr)
		}
	}
	if len(doc.Components.Messages) == 0 {
		t.Fatal("no messages")
	}
	for name, m := range doc.Components.Messages {
		file := strings.TrimPrefix(m.Payload.Schema.Ref, "./jsonschema/")
		if _, ok := schemas[file]; !ok {
			t.Errorf("message %s: payload $ref %q is not an embedded schema", name, m.Payload.Schema.Ref)
		}
		kind, action, _ := strings.Cut(strings.TrimSuffix(file, ".v1.json"), ".")
		if m.Title != schema.TypeName(kind, action) {
			t.Errorf("message %s: title %q, want the CloudEvent type %q", name, m.Title, schema.TypeName(kind, action))
		}
	}
}

// TestAsyncAPICommands checks that every command action has both entry
// points, each carrying the action's command schema, and that rpc replies
// and result events carry the result schemas.
func TestAsyncAPICommands(t *testing.T) {
	type ref struct {
		Ref string `yaml:"$ref"`
	}
	var doc struct {
		Channels map[string]struct {
			Address  *string        `yaml:"address"`
			Messages map[string]ref `yaml:"messages"`
		} `yaml:"channels"`
		Operations map[string]struct {
			Channel ref `yaml:"channel"`
			Reply   *struct {
				Channel ref `yaml:"channel"`
			} `yaml:"reply"`
		} `yaml:"operations"`
		Components struct {
			Messages map[string]struct {
				Payload struct {
					Schema ref `yaml:"schema"`
				} `yaml:"payload"`
			} `yaml:"messages"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(schema.AsyncAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	// payloads returns the schema files of a channel's messages.
	payloads := func(name string) []string {
		var out []string
		for _, m := range doc.Channels[name].Messages {
			msg, ok := doc.Components.Messages[strings.TrimPrefix(m.Ref, "#/components/messages/")]
			if !ok {
				t.Errorf("channel %s: message %s is not defined", name, m.Ref)
				continue
			}
			out = append(out, strings.TrimPrefix(msg.Payload.Schema.Ref, "./jsonschema/"))
		}
		return out
	}
	byAddress := map[string]string{}
	for name, ch := range doc.Channels {
		if ch.Address != nil {
			byAddress[*ch.Address] = name
		}
	}
	replies := map[string]string{} // channel → its operation's reply channel
	for _, op := range doc.Operations {
		if op.Reply != nil {
			replies[strings.TrimPrefix(op.Channel.Ref, "#/channels/")] = strings.TrimPrefix(op.Reply.Channel.Ref, "#/channels/")
		}
	}
	results := []string{"command.completed.v1.json", "command.failed.v1.json"}
	for _, action := range schema.CommandNames() {
		want := "command." + action + ".v1.json"
		for _, entry := range []string{"commands", "rpc"} {
			addr := "tg.{account}." + entry + "." + action
			name, ok := byAddress[addr]
			if !ok {
				t.Errorf("no channel %s", addr)
				continue
			}
			if got := payloads(name); len(got) != 1 || got[0] != want {
				t.Errorf("channel %s carries %v, want %s", addr, got, want)
			}
			if entry != "rpc" {
				continue
			}
			reply, ok := replies[name]
			if !ok {
				t.Errorf("channel %s: no operation with a reply", addr)
				continue
			}
			got := payloads(reply)
			slices.Sort(got)
			if !slices.Equal(got, results) {
				t.Errorf("channel %s: reply carries %v, want %v", addr, got, results)
			}
		}
	}
	for _, action := range []string{schema.ActionCompleted, schema.ActionFailed} {
		addr := "tg.{account}.events.command." + action + ".{peerKind}.{peerId}"
		if got := payloads(byAddress[addr]); len(got) != 1 || got[0] != "command."+action+".v1.json" {
			t.Errorf("channel %s carries %v", addr, got)
		}
	}
}

func TestSchemasReturnsCopies(t *testing.T) {
	a := schema.Schemas()
	for name := range a {
		a[name][0] = 'X'
	}
	for name, b := range schema.Schemas() {
		if b[0] != '{' {
			t.Errorf("%s: modifying a returned slice changed the embedded document", name)
		}
	}
	api := schema.AsyncAPI()
	api[0] = 'X'
	if schema.AsyncAPI()[0] == 'X' {
		t.Error("AsyncAPI returned the embedded slice itself")
	}
}

// checkTLRange: in a command body's schema, a field sent as a TL "int"
// (tag tl:"int") states the int32 bound ParseCommand enforces.
func checkTLRange(t *testing.T, root, prop map[string]any, f reflect.StructField, path string) {
	t.Helper()
	id, _ := root["$id"].(string)
	if f.Tag.Get("tl") != "int" || !strings.Contains(id, "/command.") || strings.Contains(id, "command.completed") || strings.Contains(id, "command.failed") {
		return
	}
	node := resolve(t, root, prop)
	if items, ok := node["items"].(map[string]any); ok {
		node = resolve(t, root, items)
	}
	if node["maximum"] != float64(math.MaxInt32) {
		t.Errorf("%s: TL int field without \"maximum\": %d", path, math.MaxInt32)
	}
}
