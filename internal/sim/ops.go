package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tgnats/tgnats/schema"
)

// The operations of the journal: every change of the world is one op, a
// kind with its own payload type. An op is applied to the world
// (validating everything before mutating anything), then appended to the
// journal, so that replaying the journal with the same Accounts rebuilds
// the same world, pts, ids and ledger.
//
// On disk an op is one JSON object: "op" (the kind), "now", the fields of
// its payload and, for ops made by a served API call, "act" (the Call).
// The field names are those every earlier version wrote (a flag of any
// kind is "flag"), so existing journals load unchanged.

// Op kinds stored in the journal.
const (
	opUser      = "user"
	opChat      = "chat"
	opSend      = "send"
	opEdit      = "edit"
	opDelete    = "delete"
	opScenario  = "scenario"
	opBroadcast = "broadcast"
	// Ops of the API surface (api_world.go).
	opAPISend    = "api_send"
	opAPIForward = "api_forward"
	opPin        = "pin"
	opReact      = "react"
	opUpload     = "upload"
	opPress      = "press"
	opAnswer     = "answer"
	opRecord     = "record"
	opForbid     = "forbid"
	opUsername   = "username"
	// Ops of the fault surface (fault_world.go).
	opMember  = "member"
	opQts     = "qts"
	opHistory = "history"
	opEmpty   = "empty"
	// Bot queries (bot_world.go).
	opBotQuery = "bot_query"
	// Read receipts (read_world.go).
	opRead = "read"
	// Poll votes (poll_world.go).
	opVote = "vote"
	// Ops of members (member_world.go).
	opMemberChange = "member_change"
	opRename       = "rename"
	opUserChange   = "user_change"
	opMembers      = "members"
	// Uploads expired (uploads.go).
	opExpireUploads = "expire_uploads"
)

// op is one change of the world, as journaled.
type op struct {
	// Now is the simulated time of the change (Unix seconds), set when applied live.
	Now int64
	// Call is the served API call that made the change, recorded once the
	// change succeeded; nil for changes of the test controls.
	Call *Call
	// Body is what changes.
	Body opBody
}

// opBody is the payload of one op kind.
type opBody interface {
	// kind is the op's kind, its "op" on disk.
	kind() string
	// check reports a malformed op, one no version writes, with an error
	// wrapping ErrCorrupt.
	check() error
	// apply changes w at date; it validates before it mutates. call is the
	// op's Call (nil for test controls): sends note the new message ids in it.
	apply(w *world, date int, call *Call) (int64, error)
}

// newOpBody returns an empty payload of kind; unknown kinds get one that
// refuses to apply, as a journal of a newer version may hold them.
func newOpBody(kind string) opBody {
	switch kind {
	case opUser:
		return &userOp{}
	case opChat:
		return &chatOp{}
	case opBroadcast:
		return &broadcastOp{}
	case opSend:
		return &sendOp{}
	case opEdit:
		return &editOp{}
	case opDelete:
		return &deleteOp{}
	case opScenario:
		return &scenarioOp{}
	case opAPISend:
		return &apiSendOp{}
	case opAPIForward:
		return &apiForwardOp{}
	case opPin:
		return &pinOp{}
	case opReact:
		return &reactOp{}
	case opUpload:
		return &uploadOp{}
	case opPress:
		return &pressOp{}
	case opAnswer:
		return &answerOp{}
	case opRecord:
		return &recordOp{}
	case opForbid:
		return &forbidOp{}
	case opUsername:
		return &usernameOp{}
	case opMember:
		return &memberOp{}
	case opQts:
		return &qtsOp{}
	case opHistory:
		return &historyOp{}
	case opEmpty:
		return &emptyOp{}
	case opBotQuery:
		return &botQueryOp{}
	case opRead:
		return &readOp{}
	case opVote:
		return &voteOp{}
	case opWebPage:
		return &webPageOp{}
	case opMemberChange:
		return &memberChangeOp{}
	case opRename:
		return &renameOp{}
	case opUserChange:
		return &userChangeOp{}
	case opMembers:
		return &membersOp{}
	case opExpireUploads:
		return &expireUploadsOp{}
	}
	return &unknownOp{Kind: kind}
}

// opEnvelope is what every op line holds besides its payload.
type opEnvelope struct {
	Kind string `json:"op"`
	Now  int64  `json:"now"`
	Call *Call  `json:"act,omitempty"`
}

// MarshalJSON writes o as one flat object: kind and time first, then the
// payload's fields, then the call.
func (o *op) MarshalJSON() ([]byte, error) {
	if o.Body == nil {
		return nil, fmt.Errorf("%w: op without a payload", ErrInvalid)
	}
	body, err := json.Marshal(o.Body)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"op":`)
	kind, _ := json.Marshal(o.Body.kind())
	b.Write(kind)
	b.WriteString(`,"now":` + strconv.FormatInt(o.Now, 10))
	if fields := bytes.TrimSpace(body[1 : len(body)-1]); len(fields) > 0 {
		b.WriteByte(',')
		b.Write(fields)
	}
	if o.Call != nil {
		call, err := json.Marshal(o.Call)
		if err != nil {
			return nil, err
		}
		b.WriteString(`,"act":`)
		b.Write(call)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an op line; one without a kind gets no Body.
func (o *op) UnmarshalJSON(data []byte) error {
	var env opEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return err
	}
	*o = op{Now: env.Now, Call: env.Call}
	if env.Kind == "" {
		return nil
	}
	body := newOpBody(env.Kind)
	if err := json.Unmarshal(data, body); err != nil {
		return err
	}
	o.Body = body
	return nil
}

// kind is o's kind, "" without a payload.
func (o *op) kind() string {
	if o.Body == nil {
		return ""
	}
	return o.Body.kind()
}

// apply applies o to the world. It validates before it mutates: an error
// leaves the world unchanged. The int result is a message id or a peer id.
// A malformed op is refused with an error wrapping ErrCorrupt.
func (w *world) apply(o *op) (int64, error) {
	if o.Body == nil {
		return 0, fmt.Errorf("%w: op without a kind", ErrCorrupt)
	}
	if err := o.Body.check(); err != nil {
		return 0, err
	}
	if o.Call != nil {
		w.api = o.Call.Account
		defer func() { w.api = "" }()
	}
	res, err := o.Body.apply(w, int(o.Now), o.Call)
	if err != nil {
		return 0, err
	}
	if o.Call != nil {
		w.recordCall(o.Call, o.Now)
	}
	return res, nil
}

func corrupt(kind, format string, args ...any) error {
	return fmt.Errorf("%w: %s op: %s", ErrCorrupt, kind, fmt.Sprintf(format, args...))
}

// firstID checks that an op acting on one message names it.
func firstID(kind string, ids []int) error {
	if len(ids) == 0 {
		return corrupt(kind, "no message id")
	}
	return nil
}

// userOp creates a user (Sim.CreateUser).
type userOp struct {
	First    string `json:"first,omitempty"`
	Last     string `json:"last,omitempty"`
	Username string `json:"username,omitempty"`
}

func (*userOp) kind() string { return opUser }
func (*userOp) check() error { return nil }
func (o *userOp) apply(w *world, _ int, _ *Call) (int64, error) {
	return w.createUser(o.First, o.Last, o.Username), nil
}

// chatOp creates a basic group or a supergroup (Sim.CreateChat).
type chatOp struct {
	PeerKind schema.PeerKind `json:"peer_kind,omitempty"`
	Title    string          `json:"title,omitempty"`
	Members  []int64         `json:"members,omitempty"`
}

func (*chatOp) kind() string { return opChat }
func (*chatOp) check() error { return nil }
func (o *chatOp) apply(w *world, date int, _ *Call) (int64, error) {
	return w.createChat(o.PeerKind, o.Title, date, false, o.Members)
}

// broadcastOp creates a broadcast channel (Sim.CreateBroadcast).
type broadcastOp struct {
	Title string `json:"title,omitempty"`
}

func (*broadcastOp) kind() string { return opBroadcast }
func (*broadcastOp) check() error { return nil }
func (o *broadcastOp) apply(w *world, date int, _ *Call) (int64, error) {
	return w.createChat(schema.PeerChannel, o.Title, date, true, nil)
}

// sendOp posts a message (Sim.SendMessage).
type sendOp struct {
	Out *Outgoing `json:"out,omitempty"`
}

func (*sendOp) kind() string { return opSend }
func (o *sendOp) check() error {
	if o.Out == nil {
		return corrupt(opSend, "no message")
	}
	return nil
}
func (o *sendOp) apply(w *world, date int, _ *Call) (int64, error) {
	id, err := w.send(o.Out, nil, date)
	return int64(id), err
}

// editOp edits a message: Sim.EditMessage (SameSecond for
// EditMessageSameSecond) or messages.editMessage (Entities when SetEntities).
type editOp struct {
	Chat        schema.PeerRef  `json:"chat"`
	Account     string          `json:"account,omitempty"`
	IDs         []int           `json:"ids,omitempty"` // the one message edited
	Text        string          `json:"text,omitempty"`
	SameSecond  bool            `json:"flag,omitempty"`
	Entities    []schema.Entity `json:"entities,omitempty"`
	SetEntities bool            `json:"set_entities,omitempty"`
}

func (*editOp) kind() string   { return opEdit }
func (o *editOp) check() error { return firstID(opEdit, o.IDs) }
func (o *editOp) apply(w *world, date int, _ *Call) (int64, error) {
	var ents *[]schema.Entity
	if o.SetEntities {
		ents = &o.Entities
	}
	return 0, w.edit(o.Chat, o.Account, o.IDs[0], o.Text, ents, date, o.SameSecond)
}

// deleteOp deletes messages for everyone (Sim.DeleteMessages, messages.
// and channels.deleteMessages).
type deleteOp struct {
	Chat    schema.PeerRef `json:"chat"`
	Account string         `json:"account,omitempty"`
	IDs     []int          `json:"ids,omitempty"`
}

func (*deleteOp) kind() string { return opDelete }
func (*deleteOp) check() error { return nil }
func (o *deleteOp) apply(w *world, date int, _ *Call) (int64, error) {
	return 0, w.delete(o.Chat, o.Account, o.IDs, date)
}

// scenarioOp builds the world of generated traffic, once.
type scenarioOp struct {
	Scenario *Scenario `json:"scenario,omitempty"`
}

func (*scenarioOp) kind() string { return opScenario }
func (o *scenarioOp) check() error {
	sc := o.Scenario
	switch {
	case sc == nil:
		return corrupt(opScenario, "no scenario")
	case sc.Users < 0 || sc.Privates < 0 || sc.Privates > sc.Users:
		return corrupt(opScenario, "%d private chats of %d users", sc.Privates, sc.Users)
	}
	return nil
}
func (o *scenarioOp) apply(w *world, date int, _ *Call) (int64, error) {
	w.buildScenario(*o.Scenario, date)
	return 0, nil
}

// unknownOp is an op of a kind this version does not know: it is read
// (the journal is not corrupt) but never applied.
type unknownOp struct {
	Kind string `json:"-"`
}

func (o *unknownOp) kind() string { return o.Kind }
func (*unknownOp) check() error   { return nil }
func (o *unknownOp) apply(*world, int, *Call) (int64, error) {
	return 0, fmt.Errorf("%w: unknown op %q", ErrInvalid, o.Kind)
}
