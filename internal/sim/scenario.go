package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/tgnats/tgnats/schema"
)

// Scenario describes generated traffic: the world it acts in (built on
// first use and kept, also across restarts with the same Dir) and the
// random source. Zero fields take defaults.
type Scenario struct {
	Rate        float64 `json:"rate,omitempty"` // actions per second for Drive, default 10
	Seed        int64   `json:"seed,omitempty"` // default 1
	Users       int     `json:"users,omitempty"`
	Privates    int     `json:"privates,omitempty"`
	Groups      int     `json:"groups,omitempty"`
	Supergroups int     `json:"supergroups,omitempty"`
	Channels    int     `json:"channels,omitempty"`
	// Faults is the share of actions (0 to 1) that are fault steps instead
	// of messages: reordered qts updates, a channel left and rejoined some
	// actions later, updateChannelTooLong pushes, updatesCombined (some
	// lost: a seq gap), a stale container replayed, FLOOD_WAIT and refused
	// (500) difference calls. Every left channel is rejoined before Produce
	// or Drive returns, so the ledger stays reachable.
	Faults float64 `json:"faults,omitempty"`
	// Updates is the share of actions (0 to 1) that change something
	// other than a message's content: reactions of members (a bot gets
	// qts updates), pins and unpins. Default 0: messages only.
	Updates float64 `json:"updates,omitempty"`
}

func (sc *Scenario) setDefaults() {
	if sc.Rate <= 0 {
		sc.Rate = 10
	}
	if sc.Seed == 0 {
		sc.Seed = 1
	}
	if sc.Users <= 0 {
		sc.Users = 6
	}
	if sc.Privates <= 0 {
		sc.Privates = 3
	}
	sc.Privates = min(sc.Privates, sc.Users)
	if sc.Groups <= 0 {
		sc.Groups = 2
	}
	if sc.Supergroups <= 0 {
		sc.Supergroups = 2
	}
	if sc.Channels <= 0 {
		sc.Channels = 1
	}
}

// buildScenario creates the scenario world once; later scenarios reuse it.
func (w *world) buildScenario(sc Scenario, date int) {
	if w.scen != nil {
		return
	}
	sw := &scenarioWorld{}
	firsts := []string{"Alice", "Bob", "Carol", "Dmitri", "Élodie", "Farah", "Gustav", "Hana"}
	for i := range sc.Users {
		first := firsts[i%len(firsts)]
		id := w.createUser(first, fmt.Sprintf("Sim%d", i+1), fmt.Sprintf("sim_user_%d", i+1))
		sw.Users = append(sw.Users, id)
	}
	sw.Privates = sw.Users[:sc.Privates]
	for i := range sc.Groups {
		id, _ := w.createChat(schema.PeerChat, fmt.Sprintf("Group %d", i+1), date, false, sw.Users)
		sw.Groups = append(sw.Groups, id)
	}
	for i := range sc.Supergroups {
		id, _ := w.createChat(schema.PeerChannel, fmt.Sprintf("Supergroup %d", i+1), date, false, sw.Users)
		sw.Supergroups = append(sw.Supergroups, id)
		w.channels[id].Username = fmt.Sprintf("sim_supergroup_%d", i+1)
	}
	for i := range sc.Channels {
		id, _ := w.createChat(schema.PeerChannel, fmt.Sprintf("Channel %d", i+1), date, true, nil)
		sw.Channels = append(sw.Channels, id)
		w.channels[id].Username = fmt.Sprintf("sim_channel_%d", i+1)
	}
	w.scen = sw
}

func (s *Sim) ensureScenario(sc Scenario) error {
	s.mu.Lock()
	built := s.w.scen != nil
	s.mu.Unlock()
	if built {
		return nil
	}
	_, err := s.change(&op{Body: &scenarioOp{Scenario: &sc}})
	return err
}

// Produce performs n random actions as fast as possible: about 70% new
// messages (text with entities, replies, photos, documents, forwards),
// 15% edits and 10% deletions of recent messages, 3% service messages, in
// every chat kind, and 2% bot queries of a scenario user to the first bot
// account (inline queries, sends and button presses, pre-checkout and
// shipping queries: live only, see bot_world.go). The sequence is deterministic for a Seed and world.
func (s *Sim) Produce(ctx context.Context, sc Scenario, n int) error {
	sc.setDefaults()
	if err := s.ensureScenario(sc); err != nil {
		return fmt.Errorf("build scenario: %w", err)
	}
	d := s.newDriver(sc)
	defer d.rejoin()
	for range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := d.act(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Drive performs random actions at sc.Rate per second until ctx is done,
// then returns nil.
func (s *Sim) Drive(ctx context.Context, sc Scenario) error {
	sc.setDefaults()
	if err := s.ensureScenario(sc); err != nil {
		return fmt.Errorf("build scenario: %w", err)
	}
	d := s.newDriver(sc)
	defer d.rejoin()
	t := time.NewTicker(time.Duration(float64(time.Second) / sc.Rate))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := d.act(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

type target struct {
	account string
	chat    schema.PeerRef
	members []int64
}

// targets lists every chat of the scenario, private chats once per account.
func (s *Sim) targets() []target {
	s.mu.Lock()
	defer s.mu.Unlock()
	sw := s.w.scen
	var out []target
	for _, a := range s.w.accounts {
		for _, u := range sw.Privates {
			out = append(out, target{account: a.Name, chat: schema.PeerRef{Kind: schema.PeerUser, ID: u}, members: []int64{u, a.UserID}})
		}
	}
	for _, id := range sw.Groups {
		out = append(out, target{chat: schema.PeerRef{Kind: schema.PeerChat, ID: id}, members: s.w.chats[id].Members})
	}
	for _, id := range sw.Supergroups {
		out = append(out, target{chat: schema.PeerRef{Kind: schema.PeerChannel, ID: id}, members: s.w.channels[id].Members})
	}
	for _, id := range sw.Channels {
		out = append(out, target{chat: schema.PeerRef{Kind: schema.PeerChannel, ID: id}})
	}
	return out
}

// recent returns up to k live message ids of chat as account sees it, newest first.
func (s *Sim) recent(account string, chat schema.PeerRef, k int, editable bool) []int {
	return s.recentWhere(account, chat, k, func(m *message) bool { return !editable || m.Service == "" && m.Poll == nil })
}

var words = []string{"hello", "world", "naïve", "привет", "🚀", "tgnats", "stream", "zero", "loss", "日本", "event", "👍🏽"}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// text returns a random text with a bold word and sometimes a URL.
func randomText(rng *rand.Rand) (string, []schema.Entity) {
	n := 3 + rng.IntN(6)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = words[rng.IntN(len(words))]
	}
	bold := rng.IntN(n)
	var ents []schema.Entity
	offset := 0
	for i, p := range parts {
		if i == bold {
			ents = append(ents, schema.Entity{Type: "bold", Offset: offset, Length: utf16Len(p)})
		}
		offset += utf16Len(p) + 1
	}
	text := strings.Join(parts, " ")
	if rng.IntN(4) == 0 {
		url := "https://example.org/" + words[rng.IntN(6)]
		ents = append(ents, schema.Entity{Type: "url", Offset: utf16Len(text) + 1, Length: utf16Len(url)})
		text += " " + url
	}
	return text, ents
}

// driver performs the actions of one Produce or Drive.
type driver struct {
	s      *Sim
	sc     Scenario
	rng    *rand.Rand
	kicked map[int64]int // channel left by a fault step → actions until the rejoin
}

func (s *Sim) newDriver(sc Scenario) *driver {
	return &driver{s: s, sc: sc, rng: rand.New(rand.NewPCG(uint64(sc.Seed), uint64(sc.Seed)^0x9e3779b97f4a7c15)), kicked: map[int64]int{}}
}

func (d *driver) act(ctx context.Context) error {
	err := d.step(ctx)
	if errors.Is(err, ErrNotFound) && d.s.cfg.messageWindow() > 0 {
		// A bounded world (retain.go) may drop the message an action
		// picked before the action ran (another caller's change trimmed
		// it): the action is skipped, as a user's on a deleted message.
		return nil
	}
	return err
}

func (d *driver) step(ctx context.Context) error {
	for ch, left := range d.kicked {
		if left > 1 {
			d.kicked[ch] = left - 1
			continue
		}
		delete(d.kicked, ch)
		if _, err := d.s.Inject(ctx, Fault{Kind: FaultJoin, Channel: ch}); err != nil {
			return err
		}
	}
	if d.sc.Faults > 0 && d.rng.Float64() < d.sc.Faults {
		return d.fault(ctx)
	}
	if d.sc.Updates > 0 && d.rng.Float64() < d.sc.Updates {
		return d.s.actUpdate(ctx, d.rng)
	}
	return d.s.act(ctx, d.rng)
}

// rejoin rejoins every channel the driver left.
func (d *driver) rejoin() {
	for ch := range d.kicked {
		if _, err := d.s.Inject(context.Background(), Fault{Kind: FaultJoin, Channel: ch}); err != nil {
			d.s.log.Error("scenario: rejoin channel", "channel", ch, "err", err)
		}
	}
	clear(d.kicked)
}

// fault performs one random fault step for the first account.
func (d *driver) fault(ctx context.Context) error {
	s, rng := d.s, d.rng
	s.mu.Lock()
	sw := s.w.scen
	chans := append(slices.Clone(sw.Supergroups), sw.Channels...)
	s.mu.Unlock()
	ch := chans[rng.IntN(len(chans))]
	var f Fault
	switch rng.IntN(8) {
	case 0: // qts updates pushed out of order
		s.ReorderNext(2)
		f = Fault{Kind: FaultQts, N: 2}
	case 1:
		if _, ok := d.kicked[ch]; ok {
			return nil
		}
		d.kicked[ch] = 5 + rng.IntN(30)
		f = Fault{Kind: FaultLeave, Channel: ch}
	case 2:
		f = Fault{Kind: FaultChannelTooLong, Channel: ch}
	case 3:
		f = Fault{Kind: FaultCombine, N: 2 + rng.IntN(3)}
	case 4:
		f = Fault{Kind: FaultCombine, N: 2 + rng.IntN(3), Drop: true}
	case 5:
		f = Fault{Kind: FaultReplay}
	case 6:
		f = Fault{Kind: FaultCallError, Code: 420, Seconds: 1, Method: []string{"updates.getDifference", "updates.getChannelDifference"}[rng.IntN(2)]}
	default:
		f = Fault{Kind: FaultCallError, Code: 500, Error: "HISTORY_GET_FAILED", Method: "updates.getDifference"}
	}
	_, err := s.Inject(ctx, f)
	if errors.Is(err, ErrNotFound) {
		return nil // nothing to replay yet
	}
	return err
}

func (s *Sim) act(ctx context.Context, rng *rand.Rand) error {
	ts := s.targets()
	t := ts[rng.IntN(len(ts))]
	if u, ok := s.userActor(t); ok && rng.Float64() < userActShare {
		return s.actUser(ctx, rng, t, u) // traffic_user.go
	}
	r := rng.Float64()
	switch {
	case r < 0.70:
		return s.actNew(ctx, rng, t, false)
	case r < 0.85:
		ids := s.recent(t.account, t.chat, 5, true)
		if len(ids) == 0 {
			return s.actNew(ctx, rng, t, false)
		}
		text, _ := randomText(rng)
		return s.EditMessage(ctx, t.chat, t.account, ids[rng.IntN(len(ids))], "edited: "+text)
	case r < 0.95:
		ids := s.recent(t.account, t.chat, 5, false)
		if len(ids) == 0 {
			return s.actNew(ctx, rng, t, false)
		}
		del := []int{ids[rng.IntN(len(ids))]}
		if len(ids) > 1 && rng.IntN(4) == 0 {
			del = append(del, ids[0])
		}
		return s.DeleteMessages(ctx, t.chat, t.account, del...)
	case r < 0.96:
		return s.actNew(ctx, rng, t, true)
	case r < 0.98: // a bot query (bot_traffic.go), else a service message
		if ok, err := s.actBotQuery(ctx, rng); ok {
			return err
		}
		return s.actNew(ctx, rng, t, true)
	default: // members, join requests, bot stopped (member_traffic.go)
		return s.actMember(ctx, rng, t)
	}
}

func (s *Sim) actNew(ctx context.Context, rng *rand.Rand, t target, service bool) error {
	m := Outgoing{Account: t.account, Chat: t.chat}
	if len(t.members) > 0 {
		m.From = t.members[rng.IntN(len(t.members))]
	}
	if service && t.chat.Kind != schema.PeerUser && len(t.members) > 0 {
		m.Service = "chat_add_user"
		_, err := s.SendMessage(ctx, m)
		return err
	}
	m.Text, m.Entities = randomText(rng)
	switch x := rng.IntN(20); {
	case x < 2:
		m.Media = "photo"
	case x < 4:
		m.Media = "document"
	case x < 5:
		m.Forward = true
	}
	if rng.IntN(5) == 0 {
		if ids := s.recent(t.account, t.chat, 5, false); len(ids) > 0 {
			m.ReplyTo = ids[rng.IntN(len(ids))]
		}
	}
	_, err := s.SendMessage(ctx, m)
	return err
}
