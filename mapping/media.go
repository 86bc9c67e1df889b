package mapping

import (
	"github.com/gotd/td/tg"
	"strconv"

	"github.com/tgnats/tgnats/schema"
)

// Media type names (schema.Media.Type).
const (
	MediaPhoto     = "photo"
	MediaDocument  = "document"
	MediaVideo     = "video"
	MediaAudio     = "audio"
	MediaVoice     = "voice"
	MediaVideoNote = "video_note"
	MediaSticker   = "sticker"
	MediaAnimation = "animation"
	MediaGeo       = "geo"
	MediaGeoLive   = "geo_live"
	MediaContact   = "contact"
	MediaPoll      = "poll"
	MediaWebPage   = "webpage"
	MediaDice      = "dice"
	MediaVenue     = "venue"
)

// media maps a message's media; nil when the message has none. Content this
// version does not map becomes Type "unsupported" with the TL constructor.
func media(m tg.MessageMediaClass) *schema.Media {
	if absent(m) {
		return nil
	}
	switch m := m.(type) {
	case *tg.MessageMediaEmpty:
		return nil
	case *tg.MessageMediaPhoto:
		out := &schema.Media{Type: MediaPhoto, Spoiler: m.Spoiler}
		if p, ok := m.Photo.(*tg.Photo); ok && p != nil {
			photo(out, p)
		}
		return out
	case *tg.MessageMediaDocument:
		out := &schema.Media{Type: MediaDocument, Spoiler: m.Spoiler}
		if d, ok := m.Document.(*tg.Document); ok && d != nil {
			document(out, d, m)
		}
		return out
	case *tg.MessageMediaGeo:
		out := &schema.Media{Type: MediaGeo}
		geo(out, m.Geo)
		return out
	case *tg.MessageMediaGeoLive:
		out := &schema.Media{Type: MediaGeoLive, Duration: float64(m.Period)}
		geo(out, m.Geo)
		return out
	case *tg.MessageMediaContact:
		return &schema.Media{
			Type:        MediaContact,
			PhoneNumber: m.PhoneNumber,
			FirstName:   m.FirstName,
			LastName:    m.LastName,
			UserID:      m.UserID,
		}
	case *tg.MessageMediaPoll:
		return &schema.Media{Type: MediaPoll, Question: m.Poll.Question, PollID: strconv.FormatInt(m.Poll.ID, 10)}
	case *tg.MessageMediaWebPage:
		switch w := m.Webpage.(type) {
		case *tg.WebPage:
			if w != nil {
				return webPageMedia(w)
			}
		case *tg.WebPageEmpty:
			if w != nil {
				return &schema.Media{Type: MediaWebPage, URL: w.URL, WebPageID: strconv.FormatInt(w.ID, 10)}
			}
		case *tg.WebPagePending:
			if w != nil {
				// Completed later by updateWebPage: an edit (webpage.go).
				return &schema.Media{Type: MediaWebPage, URL: w.URL, WebPageID: strconv.FormatInt(w.ID, 10), Pending: true}
			}
		}
		return &schema.Media{Type: MediaWebPage}
	case *tg.MessageMediaDice:
		return &schema.Media{Type: MediaDice, Emoticon: m.Emoticon, Value: m.Value}
	case *tg.MessageMediaVenue:
		out := &schema.Media{Type: MediaVenue, Title: m.Title, Address: m.Address}
		geo(out, m.Geo)
		return out
	default: // messageMediaUnsupported, game, invoice, story, giveaway, later layers
		return &schema.Media{Type: schema.Unsupported, Constructor: m.TypeName()}
	}
}

func geo(out *schema.Media, g tg.GeoPointClass) {
	if p, ok := g.(*tg.GeoPoint); ok && p != nil {
		out.Latitude, out.Longitude = p.Lat, p.Long
	}
}

// photo fills out from the largest size of p; every downloadable size is
// listed in Thumbs.
func photo(out *schema.Media, p *tg.Photo) {
	var thumb string
	best := -1
	out.Thumbs = thumbs(p.Sizes)
	for _, t := range out.Thumbs {
		if t.Width*t.Height > best {
			best = t.Width * t.Height
			thumb = t.Type
			out.Width, out.Height, out.Size = t.Width, t.Height, int64(t.Size)
		}
	}
	out.MimeType = "image/jpeg"
	out.DCID = p.DCID
	out.FileRef = FileRef{
		Kind:          FilePhoto,
		DC:            p.DCID,
		ID:            p.ID,
		AccessHash:    p.AccessHash,
		FileReference: p.FileReference,
		ThumbSize:     thumb,
	}.String()
}

// thumbs lists the downloadable sizes among sizes, in order: stripped and
// path sizes are inline previews, not sizes to download.
func thumbs(sizes []tg.PhotoSizeClass) []schema.Thumb {
	var out []schema.Thumb
	for _, s := range sizes {
		switch s := s.(type) {
		case *tg.PhotoSize:
			if s != nil {
				out = append(out, schema.Thumb{Type: s.Type, Width: s.W, Height: s.H, Size: s.Size})
			}
		case *tg.PhotoSizeProgressive:
			if s != nil {
				t := schema.Thumb{Type: s.Type, Width: s.W, Height: s.H}
				if n := len(s.Sizes); n > 0 {
					t.Size = s.Sizes[n-1]
				}
				out = append(out, t)
			}
		case *tg.PhotoCachedSize:
			if s != nil {
				out = append(out, schema.Thumb{Type: s.Type, Width: s.W, Height: s.H, Size: len(s.Bytes)})
			}
		}
	}
	return out
}

// document fills out from d, refining Type from its attributes: sticker,
// then animation, video note, video, voice, audio; plain document otherwise.
func document(out *schema.Media, d *tg.Document, m *tg.MessageMediaDocument) {
	out.MimeType = d.MimeType
	out.Size = d.Size
	out.DCID = d.DCID
	out.Thumbs = thumbs(d.Thumbs)
	out.FileRef = FileRef{
		Kind:          FileDocument,
		DC:            d.DCID,
		ID:            d.ID,
		AccessHash:    d.AccessHash,
		FileReference: d.FileReference,
	}.String()
	var sticker, animated, video, round, audio, voice bool
	for _, a := range d.Attributes {
		switch a := a.(type) {
		case *tg.DocumentAttributeFilename:
			if a != nil {
				out.FileName = a.FileName
			}
		case *tg.DocumentAttributeImageSize:
			if a != nil && out.Width == 0 {
				out.Width, out.Height = a.W, a.H
			}
		case *tg.DocumentAttributeSticker:
			sticker = a != nil
		case *tg.DocumentAttributeAnimated:
			animated = a != nil
		case *tg.DocumentAttributeVideo:
			if a != nil {
				video = true
				round = round || a.RoundMessage
				out.Width, out.Height, out.Duration = a.W, a.H, a.Duration
			}
		case *tg.DocumentAttributeAudio:
			if a != nil {
				audio = true
				voice = voice || a.Voice
				if out.Duration == 0 {
					out.Duration = float64(a.Duration)
				}
			}
		}
	}
	switch {
	case sticker:
		out.Type = MediaSticker
	case animated:
		out.Type = MediaAnimation
	case round || m.Round:
		out.Type = MediaVideoNote
	case video || m.Video:
		out.Type = MediaVideo
	case voice || m.Voice:
		out.Type = MediaVoice
	case audio:
		out.Type = MediaAudio
	}
}
