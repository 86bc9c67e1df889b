package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// Link previews. A message with Outgoing.Media "link" shows a web page
// whose preview Telegram is still building: webPagePending (its id and
// URL). WebPageReady completes it, as Telegram does some seconds later:
// every copy of the message shows the page (webPage: url, display_url,
// site_name, title, description; no photo), and each box holding a copy
// gets updateWebPage (the account's common box, pts) or, in a channel,
// updateChannelWebPage (the channel's pts), replayed by the differences.
// The update names the page only, not the message. In the ledger it is a
// message.edited of each copy: the message's edit date does not change;
// its version is previewVersion, the connector's (mapping.PreviewVersion),
// and a later edit of the message gets a later edit date.

// opWebPage completes a link preview (webPageOp).
const opWebPage = "webpage"

// webPageOp completes the preview of the page shown by message IDs[0] of
// Chat (as Account sees it).
type webPageOp struct {
	Chat    schema.PeerRef `json:"chat"`
	Account string         `json:"account,omitempty"`
	IDs     []int          `json:"ids,omitempty"`
}

func (*webPageOp) kind() string   { return opWebPage }
func (o *webPageOp) check() error { return firstID(opWebPage, o.IDs) }
func (o *webPageOp) apply(w *world, date int, _ *Call) (int64, error) {
	return 0, w.webPageReady(o, date)
}

// WebPageReady completes the link preview of message msgID of chat (as
// account sees it), a message sent with Media "link": updateWebPage or
// updateChannelWebPage, a message.edited of each copy in the ledger.
func (s *Sim) WebPageReady(ctx context.Context, account string, chat schema.PeerRef, msgID int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.change(&op{Body: &webPageOp{Chat: chat, Account: account, IDs: []int{msgID}}}); err != nil {
		return fmt.Errorf("web page: %w", err)
	}
	return nil
}

// webPageReady applies o.
func (w *world) webPageReady(o *webPageOp, date int) error {
	_, m, err := w.liveMessage(o.Account, o.Chat, o.IDs[0])
	if err != nil {
		return err
	}
	if m.Media != mediaLink {
		return fmt.Errorf("%w: message %d in %s shows no link preview", ErrNotFound, o.IDs[0], o.Chat)
	}
	if m.PageReady {
		return fmt.Errorf("%w: the preview of message %d in %s is complete already", ErrInvalid, o.IDs[0], o.Chat)
	}
	if o.Chat.Kind == schema.PeerChannel {
		ch := w.channels[o.Chat.ID]
		m.PageReady = true
		version := previewVersion(m)
		ev := ch.Box.webPage(m, date, 0)
		w.touchChannel(ch, date)
		for _, a := range w.accounts {
			if ch.recorded(a.Name) {
				w.record(a, LedgerEntry{Action: schema.ActionEdited, Peer: m.Peer, MessageID: m.ID, Version: version, Text: m.Text, From: m.From}, date)
			}
			w.channelPush(ch, a, ev)
		}
		return nil
	}
	for _, c := range w.copies[m.Logical] {
		acc := w.byName[c.Account]
		cm := acc.Box.Msgs[c.ID]
		if cm == nil || cm.Deleted { // nil: dropped (retain.go)
			continue
		}
		cm.PageReady = true
		version := previewVersion(cm)
		ev := acc.Box.webPage(cm, date, w.seqInc(acc))
		w.record(acc, LedgerEntry{Action: schema.ActionEdited, Peer: cm.Peer, MessageID: cm.ID, Version: version, Text: cm.Text, From: cm.From}, date)
		if w.live {
			w.pushes = append(w.pushes, push{Account: acc.Name, Event: ev})
		}
	}
	return nil
}

// webPage records the completed preview of m's page.
func (b *box) webPage(m *message, date, seqInc int) event {
	b.Pts++
	b.Seq += seqInc
	b.Date = max(b.Date, date)
	ev := event{Pts: b.Pts, PtsCount: 1, Seq: b.Seq, Date: date, Kind: evWebPage, Msg: *m, NoSeq: seqInc == 0}
	b.Events = append(b.Events, ev)
	return ev
}

// mediaLink is Outgoing.Media of a message with a link preview.
const mediaLink = "link"

// pageURL is the URL of page id.
func pageURL(id int64) string { return "https://example.org/p/" + strconv.FormatInt(id, 10) }

// tgWebPage renders m's page: pending until WebPageReady.
func tgWebPage(m *message) tg.WebPageClass {
	if !m.PageReady {
		return &tg.WebPagePending{ID: m.MediaID, URL: pageURL(m.MediaID), Date: m.Date}
	}
	p := page(m.MediaID)
	return &tg.WebPage{ID: m.MediaID, URL: p.URL, DisplayURL: p.DisplayURL, Hash: 1, Type: "article", SiteName: p.SiteName, Title: p.Title, Description: p.Description}
}

// page is the completed preview of page id, as the connector maps it.
func page(id int64) schema.Media {
	n := strconv.FormatInt(id, 10)
	return schema.Media{
		Type: "webpage", URL: pageURL(id), DisplayURL: "example.org/p/" + n, SiteName: "Example",
		Title: "Page " + n, Description: "The page numbered " + n, WebPageID: n,
	}
}

// previewVersion is the version of the edit completing m's preview
// (mapping.PreviewVersion): the edit date, else the date, plus one second
// over m's content. It sets m.PreviewDate to that second, so that a later
// edit is dated after it (box.edit).
func previewVersion(m *message) int64 {
	m.PreviewDate = max(m.EditDate, m.Date) + 1
	return schema.EditVersion(m.PreviewDate, m.Text, m.Entities, linkKey(m))
}

// linkKey is the media part of an edit version of m's link preview: the
// JSON of the media the connector maps (mapping's media key of a web
// page).
func linkKey(m *message) string {
	media := page(m.MediaID)
	if !m.PageReady {
		media = schema.Media{Type: "webpage", URL: pageURL(m.MediaID), WebPageID: strconv.FormatInt(m.MediaID, 10), Pending: true}
	}
	b, err := json.Marshal(media)
	if err != nil {
		panic(err) // a plain struct
	}
	return string(b)
}
