package egress

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// allowList is the parsed Config.AllowPeers. A nil allowList allows all.
type allowList struct {
	refs  map[schema.PeerRef]bool
	names map[string]bool // lower case, without "@"
}

func parseAllowList(entries []string) (*allowList, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	a := &allowList{refs: map[schema.PeerRef]bool{}, names: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if name, ok := strings.CutPrefix(e, "@"); ok && name != "" {
			a.names[strings.ToLower(name)] = true
			continue
		}
		if kind, id, ok := strings.Cut(e, ":"); ok {
			n, err := strconv.ParseInt(id, 10, 64)
			k := schema.PeerKind(kind)
			if err != nil || n <= 0 || (k != schema.PeerUser && k != schema.PeerChat && k != schema.PeerChannel) {
				return nil, fmt.Errorf("%q: want user:<id>, chat:<id> or channel:<id>", e)
			}
			a.refs[schema.PeerRef{Kind: k, ID: n}] = true
			continue
		}
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q: want kind:id, a Bot API id or @username", e)
		}
		ref, err := schema.PeerFromBotAPIID(n)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", e, err)
		}
		a.refs[ref] = true
	}
	return a, nil
}

// decision of a check made before resolving a peer.
type decision int

const (
	allowed decision = iota
	denied
	undecided // a username that only resolving can match against ids
)

// before decides what can be decided from the command's own words.
func (a *allowList) before(p schema.PeerInput) decision {
	if a == nil {
		return allowed
	}
	if p.Username != "" {
		if a.names[strings.ToLower(p.Username)] {
			return allowed
		}
		if len(a.refs) == 0 {
			return denied
		}
		return undecided
	}
	ref, _ := p.Ref()
	if a.refs[ref] {
		return allowed
	}
	return undecided // the peer's username may be listed
}

// after decides for a resolved peer.
func (a *allowList) after(p state.Peer) bool {
	return a == nil || a.refs[p.Ref()] || (p.Username != "" && a.names[strings.ToLower(p.Username)])
}
