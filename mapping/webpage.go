package mapping

import (
	"strconv"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// WebPageResolver, when a Resolver also implements it, answers which
// messages showed web page id while Telegram was still building its
// preview (webPagePending), each as it was last mapped: updateWebPage and
// updateChannelWebPage name the page, not the messages showing it.
type WebPageResolver interface {
	WebPageMessages(webPageID int64) []schema.Message
}

// webPage maps updateWebPage (a preview completed, common box) to one
// message.edited per private or basic-group message the resolver
// remembers showing the page pending.
func webPage(in input, u *tg.UpdateWebPage) ([]schema.Event, error) {
	return webPageEdits(in, u.Webpage, 0), nil
}

// channelWebPage maps updateChannelWebPage like webPage, for the messages
// of that channel.
func channelWebPage(in input, u *tg.UpdateChannelWebPage) ([]schema.Event, error) {
	if u.ChannelID <= 0 {
		return nil, nil
	}
	return webPageEdits(in, u.Webpage, u.ChannelID), nil
}

// webPageEdits builds the edits of the remembered messages showing page w:
// each message as last mapped with its media replaced by the page. A page
// still pending (or not modified) gives none; webPageEmpty (no preview
// after all) gives the media with the URL only. channel 0 selects the
// messages outside channels, else those of that channel. An edit is
// versioned like any (schema.EditVersion over the message's edit date,
// text, entities and the new media), so replaying the update gives the
// same ids, and an edit Telegram sends with the same content is the same
// event.
func webPageEdits(in input, w tg.WebPageClass, channel int64) []schema.Event {
	var (
		id int64
		m  *schema.Media
	)
	switch w := w.(type) {
	case *tg.WebPage:
		if w == nil {
			return nil
		}
		id, m = w.ID, webPageMedia(w)
	case *tg.WebPageEmpty:
		if w == nil {
			return nil
		}
		id, m = w.ID, &schema.Media{Type: MediaWebPage, URL: w.URL, WebPageID: strconv.FormatInt(w.ID, 10)}
	default:
		return nil
	}
	r, ok := in.r.(WebPageResolver)
	if !ok {
		return nil
	}
	var evs []schema.Event
	for _, msg := range r.WebPageMessages(id) {
		peer := schema.PeerRef{Kind: msg.Chat.Kind, ID: msg.Chat.ID}
		if !peer.Kind.Valid() || msg.MessageID <= 0 || (peer.Kind == schema.PeerChannel) != (channel != 0) || (channel != 0 && peer.ID != channel) {
			continue
		}
		body := msg
		media := *m
		body.Media = &media
		editDate := 0
		if body.EditDate != nil {
			editDate = int(body.EditDate.Unix())
		}
		ev := newMessageEvent(in.account, peer, &body, editDate, schema.ActionEdited)
		ev.ID = schema.EventID(in.account, peer, body.MessageID, schema.KindMessage, schema.ActionEdited, PreviewVersion(&body))
		if in.date > 0 {
			ev.Time = unix(in.date) // the preview's arrival: the update has no date
		}
		evs = append(evs, *ev)
	}
	return evs
}

// webPageMedia maps a completed web page; its photo, if any, is the
// media's file (FileRef, sizes).
func webPageMedia(w *tg.WebPage) *schema.Media {
	out := &schema.Media{
		Type:        MediaWebPage,
		URL:         w.URL,
		DisplayURL:  w.DisplayURL,
		SiteName:    w.SiteName,
		Title:       w.Title,
		Description: w.Description,
		WebPageID:   strconv.FormatInt(w.ID, 10),
	}
	if p, ok := w.Photo.(*tg.Photo); ok && p != nil {
		photo(out, p)
	}
	return out
}

// PreviewVersion is the version of the message.edited that completes
// m's link preview (m with the completed preview as its media):
// schema.EditVersion over the message's edit date, else its date, plus
// one second, and its text, entities and media. The update has no date
// and the message's edit date does not change; the second added orders
// the preview after the message's last edit, whose version has the same
// date but an unrelated digest.
func PreviewVersion(m *schema.Message) int64 {
	base := m.Date.Unix()
	if m.EditDate != nil {
		base = max(base, m.EditDate.Unix())
	}
	return schema.EditVersion(int(base)+1, m.Text, m.Entities, mediaKey(m.Media))
}
