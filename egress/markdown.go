package egress

import (
	"strings"

	"github.com/tgnats/tgnats/schema"
)

// parseMarkdown reads the small Markdown of Telegram's Bot API (legacy
// "Markdown" mode): *bold*, _italic_, `code`, ```pre```, [text](url).
// A marker without its closing twin is kept as literal text; a backslash
// escapes the next character. Offsets are UTF-16 code units.
func parseMarkdown(in string) (string, []schema.Entity) {
	var (
		out      strings.Builder
		entities []schema.Entity
		pos      int // UTF-16 length of out
	)
	write := func(s string) {
		out.WriteString(s)
		pos += schema.UTF16Len(s)
	}
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c == '\\' && i+1 < len(in) && strings.IndexByte("*_`[\\", in[i+1]) >= 0:
			write(in[i+1 : i+2])
			i += 2
		case strings.HasPrefix(in[i:], "```"):
			end := strings.Index(in[i+3:], "```")
			if end < 0 {
				write(in[i:])
				i = len(in)
				continue
			}
			body := in[i+3 : i+3+end]
			lang := ""
			if nl := strings.IndexByte(body, '\n'); nl >= 0 && !strings.ContainsAny(body[:nl], " \t") {
				lang, body = body[:nl], body[nl+1:]
			}
			if n := schema.UTF16Len(body); n > 0 {
				entities = append(entities, schema.Entity{Type: "pre", Offset: pos, Length: n, Language: lang})
			}
			write(body)
			i += 3 + end + 3
		case c == '*' || c == '_' || c == '`':
			end := strings.IndexByte(in[i+1:], c)
			if end <= 0 {
				write(in[i : i+1])
				i++
				continue
			}
			body := in[i+1 : i+1+end]
			typ := map[byte]string{'*': "bold", '_': "italic", '`': "code"}[c]
			entities = append(entities, schema.Entity{Type: typ, Offset: pos, Length: schema.UTF16Len(body)})
			write(body)
			i += end + 2
		case c == '[':
			close := strings.Index(in[i:], "](")
			end := -1
			if close > 1 {
				end = strings.IndexByte(in[i+close+2:], ')')
			}
			if end <= 0 {
				write("[")
				i++
				continue
			}
			text := in[i+1 : i+close]
			url := in[i+close+2 : i+close+2+end]
			entities = append(entities, schema.Entity{Type: "text_url", Offset: pos, Length: schema.UTF16Len(text), URL: url})
			write(text)
			i += close + 2 + end + 1
		default:
			j := i + 1
			for j < len(in) && strings.IndexByte("\\*_`[", in[j]) < 0 {
				j++
			}
			write(in[i:j])
			i = j
		}
	}
	return out.String(), entities
}
