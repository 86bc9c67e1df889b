package sim

import (
	"strings"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// The methods that answer bot queries (bot_world.go). Each answers a query
// of its kind once; the answer is recorded as the served Call (Method,
// Peer: the asking user's private chat, Text and Detail) for tests to check.

var (
	errResultsTooMuch    = tgerr.New(400, "RESULTS_TOO_MUCH")
	errResultIDDuplicate = tgerr.New(400, "RESULT_ID_DUPLICATE")
	errResultTypeInvalid = tgerr.New(400, "RESULT_TYPE_INVALID")
	errErrorTextEmpty    = tgerr.New(400, "ERROR_TEXT_EMPTY")
	errShippingNotAvail  = tgerr.New(400, "SHIPPING_NOT_AVAILABLE")
)

// Telegram's limits of inline answers.
const (
	maxInlineResults      = 50
	maxInlineResultIDSize = 64
)

func (s *Sim) onSetInlineBotResults(a *account, req *tgtest.Request, r *tg.MessagesSetInlineBotResultsRequest) (bin.Encoder, error) {
	q := s.w.queries[r.QueryID]
	if !q.answerable(a.Name, BotQueryInline) {
		return nil, errQueryIDInvalid
	}
	if len(r.Results) > maxInlineResults {
		return nil, errResultsTooMuch
	}
	ids := make([]string, 0, len(r.Results))
	var text string
	for _, rc := range r.Results {
		res, ok := rc.(*tg.InputBotInlineResult)
		if !ok || res.ID == "" || len(res.ID) > maxInlineResultIDSize {
			return nil, errResultTypeInvalid
		}
		for _, id := range ids {
			if id == res.ID {
				return nil, errResultIDDuplicate
			}
		}
		ids = append(ids, res.ID)
		if msg, ok := res.SendMessage.(*tg.InputBotInlineMessageText); ok && text == "" {
			if err := checkText(msg.Message, maxTextLen, errMessageTooLong, false); err != nil {
				return nil, err
			}
			text = msg.Message
		}
	}
	var d details
	d.add("query_id", r.QueryID)
	d.add("results", strings.Join(ids, ","))
	d.add("cache_time", r.CacheTime)
	d.add("private", r.Private)
	d.add("next_offset", r.NextOffset)
	return s.answerQuery(a, req, q, "messages.setInlineBotResults", text, d)
}

func (s *Sim) onSetBotPrecheckoutResults(a *account, req *tgtest.Request, r *tg.MessagesSetBotPrecheckoutResultsRequest) (bin.Encoder, error) {
	q := s.w.queries[r.QueryID]
	if !q.answerable(a.Name, BotQueryPrecheckout) {
		return nil, errQueryIDInvalid
	}
	if !r.Success && strings.TrimSpace(r.Error) == "" {
		return nil, errErrorTextEmpty
	}
	var d details
	d.add("query_id", r.QueryID)
	d.add("success", r.Success)
	return s.answerQuery(a, req, q, "messages.setBotPrecheckoutResults", r.Error, d)
}

func (s *Sim) onSetBotShippingResults(a *account, req *tgtest.Request, r *tg.MessagesSetBotShippingResultsRequest) (bin.Encoder, error) {
	q := s.w.queries[r.QueryID]
	if !q.answerable(a.Name, BotQueryShipping) {
		return nil, errQueryIDInvalid
	}
	if (len(r.ShippingOptions) == 0) == (r.Error == "") {
		return nil, errShippingNotAvail
	}
	ids := make([]string, 0, len(r.ShippingOptions))
	for _, o := range r.ShippingOptions {
		ids = append(ids, o.ID)
	}
	var d details
	d.add("query_id", r.QueryID)
	d.add("options", strings.Join(ids, ","))
	return s.answerQuery(a, req, q, "messages.setBotShippingResults", r.Error, d)
}

// answerQuery marks q answered and records the call.
func (s *Sim) answerQuery(a *account, req *tgtest.Request, q *callbackQuery, method, text string, d details) (bin.Encoder, error) {
	o := &op{Body: &answerOp{Account: a.Name, QueryID: q.ID},
		Call: &Call{Account: a.Name, Method: method, Peer: q.Chat, Text: text, Detail: d.String()}}
	if _, _, err := s.changeLocked(o, callerOf(a, req)); err != nil {
		return nil, err
	}
	return &tg.BoolTrue{}, nil
}
