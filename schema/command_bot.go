package schema

import (
	"strconv"
	"strings"
)

// Commands that answer the bot queries of event_bot.go.
const (
	CommandInlineAnswer      = "inline.answer"
	CommandPrecheckoutAnswer = "precheckout.answer"
	CommandShippingAnswer    = "shipping.answer"
)

// Limits of the answers to bot queries, as Telegram enforces them.
const (
	MaxInlineResults       = 50
	MaxInlineResultIDBytes = 64
	MaxInlineOffsetBytes   = 64
	MaxShippingOptions     = 100
)

// InlineArticle is one result of inline.answer: an article that, when the
// user picks it, sends Text (with ParseMode) to the chat.
type InlineArticle struct {
	// ID is the bot's id of the result (1-64 bytes, unique in the answer):
	// the result_id of the inline.chosen event when the user picks it.
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	Text        string `json:"text"`
	ParseMode   string `json:"parse_mode,omitempty"`
	NoWebpage   bool   `json:"no_webpage,omitempty"`
}

// AnswerInline is the body of inline.answer (messages.setInlineBotResults).
type AnswerInline struct {
	QueryID string          `json:"query_id"` // int64 as a decimal string
	Results []InlineArticle `json:"results"`
	// CacheTime is how long, in seconds, Telegram may cache the answer.
	CacheTime  int  `json:"cache_time,omitempty" tl:"int"`
	IsPersonal bool `json:"is_personal,omitempty"` // cache for this user only
	// NextOffset is passed back as offset when the user scrolls for more.
	NextOffset string `json:"next_offset,omitempty"`
}

// AnswerPrecheckout is the body of precheckout.answer
// (messages.setBotPrecheckoutResults): OK accepts the payment; otherwise
// Error is shown to the user.
type AnswerPrecheckout struct {
	QueryID string `json:"query_id"` // int64 as a decimal string
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
}

// LabeledPrice is one line of a price.
type LabeledPrice struct {
	Label  string `json:"label"`
	Amount int64  `json:"amount" tl:"long"` // in the smallest units of the currency
}

// ShippingOption is a way to ship, with its price lines.
type ShippingOption struct {
	ID     string         `json:"id"`
	Title  string         `json:"title"`
	Prices []LabeledPrice `json:"prices"`
}

// AnswerShipping is the body of shipping.answer
// (messages.setBotShippingResults): the shipping options for the address,
// or Error when the bot cannot ship there.
type AnswerShipping struct {
	QueryID string           `json:"query_id"` // int64 as a decimal string
	Options []ShippingOption `json:"options,omitempty"`
	Error   string           `json:"error,omitempty"`
}

// queryID parses the query_id field of an answer.
func queryID(s string) (int64, error) {
	if s == "" {
		return 0, invalid("query_id: required")
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, invalid("query_id: %q is not a decimal int64", s)
	}
	return id, nil
}

// ID returns the query id as a number.
func (c *AnswerInline) ID() (int64, error) { return queryID(c.QueryID) }

// ID returns the query id as a number.
func (c *AnswerPrecheckout) ID() (int64, error) { return queryID(c.QueryID) }

// ID returns the query id as a number.
func (c *AnswerShipping) ID() (int64, error) { return queryID(c.QueryID) }

// Validate implements Body.
func (c *AnswerInline) Validate() error {
	if _, err := c.ID(); err != nil {
		return err
	}
	if len(c.Results) > MaxInlineResults {
		return invalid("results: %d results, at most %d", len(c.Results), MaxInlineResults)
	}
	seen := map[string]bool{}
	for i, r := range c.Results {
		switch {
		case r.ID == "" || len(r.ID) > MaxInlineResultIDBytes:
			return invalid("results[%d].id: required, 1-%d bytes", i, MaxInlineResultIDBytes)
		case seen[r.ID]:
			return invalid("results[%d].id: %q repeats an earlier result's id", i, r.ID)
		case strings.TrimSpace(r.Title) == "":
			return invalid("results[%d].title: required", i)
		case strings.TrimSpace(r.Text) == "":
			return invalid("results[%d].text: required", i)
		}
		seen[r.ID] = true
		if err := checkText("results["+strconv.Itoa(i)+"].text", r.Text, MaxTextLength, r.ParseMode, nil); err != nil {
			return err
		}
	}
	if c.CacheTime < 0 {
		return invalid("cache_time: %d is negative", c.CacheTime)
	}
	if len(c.NextOffset) > MaxInlineOffsetBytes {
		return invalid("next_offset: longer than %d bytes", MaxInlineOffsetBytes)
	}
	return nil
}

// Validate implements Body.
func (c *AnswerPrecheckout) Validate() error {
	if _, err := c.ID(); err != nil {
		return err
	}
	switch {
	case c.OK && c.Error != "":
		return invalid("error: must be empty when ok is true")
	case !c.OK && strings.TrimSpace(c.Error) == "":
		return invalid("error: required when ok is false")
	}
	return nil
}

// Validate implements Body.
func (c *AnswerShipping) Validate() error {
	if _, err := c.ID(); err != nil {
		return err
	}
	if (len(c.Options) == 0) == (c.Error == "") {
		return invalid("options: set exactly one of options, error")
	}
	if len(c.Options) > MaxShippingOptions {
		return invalid("options: %d options, at most %d", len(c.Options), MaxShippingOptions)
	}
	for i, o := range c.Options {
		switch {
		case o.ID == "":
			return invalid("options[%d].id: required", i)
		case strings.TrimSpace(o.Title) == "":
			return invalid("options[%d].title: required", i)
		case len(o.Prices) == 0:
			return invalid("options[%d].prices: required, at least one price", i)
		}
		for j, p := range o.Prices {
			if strings.TrimSpace(p.Label) == "" {
				return invalid("options[%d].prices[%d].label: required", i, j)
			}
		}
	}
	return nil
}
