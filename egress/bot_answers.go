package egress

import (
	"context"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// The answers to bot queries (schema/command_bot.go). Like callback.answer
// they touch no chat: the query id names what they answer.

func (e *Egress) answerInline(ctx context.Context, c *command, cmd *schema.AnswerInline, _ []target) (*schema.CommandOutput, error) {
	id, _ := cmd.ID()
	results := make([]tg.InputBotInlineResultClass, 0, len(cmd.Results))
	for i, r := range cmd.Results {
		text, ents, err := format(r.Text, r.ParseMode, nil, e.userHash)
		if err != nil {
			return nil, schema.NewCommandError(schema.CodeInvalidArgument, "results[%d].text: %v", i, err)
		}
		results = append(results, &tg.InputBotInlineResult{
			ID: r.ID, Type: "article", Title: r.Title, Description: r.Description, URL: r.URL,
			SendMessage: &tg.InputBotInlineMessageText{Message: text, Entities: ents, NoWebpage: r.NoWebpage},
		})
	}
	req := &tg.MessagesSetInlineBotResultsRequest{QueryID: id, Results: results, CacheTime: cmd.CacheTime,
		Private: cmd.IsPersonal, NextOffset: cmd.NextOffset}
	_, err := invoke(ctx, e, c, "", e.cfg.API.MessagesSetInlineBotResults, req)
	return &schema.CommandOutput{}, err
}

func (e *Egress) answerPrecheckout(ctx context.Context, c *command, cmd *schema.AnswerPrecheckout, _ []target) (*schema.CommandOutput, error) {
	id, _ := cmd.ID()
	req := &tg.MessagesSetBotPrecheckoutResultsRequest{QueryID: id, Success: cmd.OK, Error: cmd.Error}
	_, err := invoke(ctx, e, c, "", e.cfg.API.MessagesSetBotPrecheckoutResults, req)
	return &schema.CommandOutput{}, err
}

func (e *Egress) answerShipping(ctx context.Context, c *command, cmd *schema.AnswerShipping, _ []target) (*schema.CommandOutput, error) {
	id, _ := cmd.ID()
	req := &tg.MessagesSetBotShippingResultsRequest{QueryID: id, Error: cmd.Error}
	for _, o := range cmd.Options {
		opt := tg.ShippingOption{ID: o.ID, Title: o.Title}
		for _, p := range o.Prices {
			opt.Prices = append(opt.Prices, tg.LabeledPrice{Label: p.Label, Amount: p.Amount})
		}
		req.ShippingOptions = append(req.ShippingOptions, opt)
	}
	_, err := invoke(ctx, e, c, "", e.cfg.API.MessagesSetBotShippingResults, req)
	return &schema.CommandOutput{}, err
}
