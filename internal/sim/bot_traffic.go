package sim

import (
	"context"
	"errors"
	"math/rand/v2"
)

// actBotQuery makes one random bot query (inline query, inline send,
// inline-button press, pre-checkout or shipping query) of a scenario user
// to the first bot account. It reports false, doing nothing, when no
// account is a bot.
func (s *Sim) actBotQuery(ctx context.Context, rng *rand.Rand) (bool, error) {
	s.mu.Lock()
	bot := ""
	for _, a := range s.w.accounts {
		if a.BotToken != "" {
			bot = a.Name
			break
		}
	}
	users := s.w.scen.Users
	s.mu.Unlock()
	if bot == "" || len(users) == 0 {
		return false, nil
	}
	q := BotQuery{Account: bot, From: users[rng.IntN(len(users))]}
	text, _ := randomText(rng)
	switch rng.IntN(5) {
	case 0:
		q.Kind, q.Query = BotQueryInline, text
	case 1:
		q.Kind, q.Query, q.ResultID = BotQueryInlineSend, text, words[rng.IntN(len(words))]
	case 2:
		q.Kind, q.Data = BotQueryInlinePress, []byte("press")
	case 3:
		q.Kind, q.Data, q.Currency, q.Amount = BotQueryPrecheckout, []byte("order"), "EUR", 1+rng.Int64N(10000)
	default:
		q.Kind, q.Data = BotQueryShipping, []byte("order")
	}
	_, err := s.BotQuery(ctx, q)
	if errors.Is(err, ErrNotFound) {
		return true, nil // the user is an account's: nothing to ask
	}
	return true, err
}
