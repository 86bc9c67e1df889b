package egress

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// formatSeeds are texts for the formatting fuzz targets: markup of both
// modes and UTF-16 surrogate pairs. Invalid UTF-8 around markers, and the
// crashers found, are in testdata/fuzz.
var formatSeeds = []string{
	"plain", "*bold* _it_ `code`", "```go\nx := 1```", "see [site](https://x.y)!", `\*esc\*`, "😀 *b*",
	"<b>bold</b> <i>it</i> <a href=\"https://x\">l</a>", "<pre><code class=\"language-go\">x</code></pre>",
	"<b></b>", "**", "[](x)",
}

// checkEntities fails unless every entity lies inside text, counted in
// UTF-16 units as Telegram counts them, and text is valid UTF-8.
func checkEntities(t *testing.T, in, text string, ents []tg.MessageEntityClass) {
	t.Helper()
	if !utf8.ValidString(text) {
		t.Fatalf("%q formatted to invalid UTF-8 %q", in, text)
	}
	n := schema.UTF16Len(text)
	for i, e := range ents {
		o, l := e.GetOffset(), e.GetLength()
		if o < 0 || l <= 0 || o > n || l > n-o {
			t.Fatalf("%q: entity %d %T offset %d length %d outside the %d UTF-16 units of %q", in, i, e, o, l, n, text)
		}
	}
}

// FuzzFormatMarkdown: markdown never puts an entity outside the text it
// returns, also for invalid UTF-8.
func FuzzFormatMarkdown(f *testing.F) {
	for _, s := range formatSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		text, ents, err := format(in, schema.ParseModeMarkdown, nil, func(int64) int64 { return 0 })
		if err != nil {
			t.Fatalf("markdown %q: %v", in, err)
		}
		checkEntities(t, in, text, ents)
	})
}

// FuzzFormatHTML: HTML either fails with INVALID_ARGUMENT or puts every
// entity inside the text it returns, also for invalid UTF-8.
func FuzzFormatHTML(f *testing.F) {
	for _, s := range formatSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		text, ents, err := format(in, schema.ParseModeHTML, nil, func(int64) int64 { return 0 })
		if err != nil {
			return
		}
		checkEntities(t, in, text, ents)
	})
}

// FuzzFormatEntities: explicit entities that pass the command's
// validation stay inside the text sent, also for invalid UTF-8.
func FuzzFormatEntities(f *testing.F) {
	for _, s := range formatSeeds {
		f.Add(s, 0, 1)
	}
	f.Fuzz(func(t *testing.T, in string, offset, length int) {
		body := map[string]any{"peer": 1, "text": in, "entities": []schema.Entity{{Type: "bold", Offset: offset, Length: length}}}
		cmd, err := schema.ParseCommand(schema.CommandMessageSend, mustJSON(t, body))
		if err != nil {
			return
		}
		c := cmd.Body.(*schema.SendMessage)
		text, ents, err := format(c.Text, c.ParseMode, c.Entities, func(int64) int64 { return 0 })
		if err != nil {
			t.Fatalf("format %q: %v", in, err)
		}
		checkEntities(t, in, text, ents)
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
