package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tgnats/tgnats/schema"
)

func TestBotAnswersValidate(t *testing.T) {
	long := strings.Repeat("x", 65)
	tests := []struct {
		action, body string
		field        string // "" when valid
	}{
		{schema.CommandInlineAnswer, `{"query_id":"-5","results":[],"cache_time":60,"is_personal":true,"next_offset":"20"}`, ""},
		{schema.CommandInlineAnswer, `{"query_id":"-5","results":[{"id":"a","title":"A","text":"*a*","parse_mode":"markdown","description":"d","url":"https://x"}]}`, ""},
		{schema.CommandInlineAnswer, `{"query_id":"x","results":[]}`, "query_id"},
		{schema.CommandInlineAnswer, `{"query_id":"5","results":[{"id":"a","title":"A","text":"a"},{"id":"a","title":"B","text":"b"}]}`, "results[1].id"},
		{schema.CommandInlineAnswer, `{"query_id":"5","results":[{"id":"` + long + `","title":"A","text":"a"}]}`, "results[0].id"},
		{schema.CommandInlineAnswer, `{"query_id":"5","results":[{"id":"a","title":" ","text":"a"}]}`, "results[0].title"},
		{schema.CommandInlineAnswer, `{"query_id":"5","results":[{"id":"a","title":"A","text":""}]}`, "results[0].text"},
		{schema.CommandInlineAnswer, `{"query_id":"5","results":[{"id":"a","title":"A","text":"a","parse_mode":"rst"}]}`, "parse_mode"},
		{schema.CommandInlineAnswer, `{"query_id":"5","results":[],"cache_time":-1}`, "cache_time"},
		{schema.CommandInlineAnswer, `{"query_id":"5","results":[],"next_offset":"` + long + `"}`, "next_offset"},
		{schema.CommandPrecheckoutAnswer, `{"query_id":"5","ok":false,"error":"out of stock"}`, ""},
		{schema.CommandPrecheckoutAnswer, `{"query_id":"5","ok":false}`, "error"},
		{schema.CommandPrecheckoutAnswer, `{"query_id":"5","ok":true,"error":"x"}`, "error"},
		{schema.CommandPrecheckoutAnswer, `{"ok":true}`, "query_id"},
		{schema.CommandShippingAnswer, `{"query_id":"5","options":[{"id":"dhl","title":"DHL","prices":[{"label":"Shipping","amount":499}]}]}`, ""},
		{schema.CommandShippingAnswer, `{"query_id":"5"}`, "options"},
		{schema.CommandShippingAnswer, `{"query_id":"5","error":"x","options":[{"id":"dhl","title":"DHL","prices":[{"label":"S","amount":1}]}]}`, "options"},
		{schema.CommandShippingAnswer, `{"query_id":"5","options":[{"id":"dhl","title":"DHL","prices":[]}]}`, "options[0].prices"},
		{schema.CommandShippingAnswer, `{"query_id":"5","options":[{"id":"","title":"DHL","prices":[{"label":"S","amount":1}]}]}`, "options[0].id"},
		{schema.CommandShippingAnswer, `{"query_id":"5","options":[{"id":"d","title":"DHL","prices":[{"label":"","amount":1}]}]}`, "options[0].prices[0].label"},
	}
	for _, tt := range tests {
		_, err := schema.ParseCommand(tt.action, []byte(tt.body))
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s %s: %v", tt.action, tt.body, err)
			}
			continue
		}
		var ce *schema.CommandError
		if !errors.As(err, &ce) || ce.Code != schema.CodeInvalidArgument || !strings.HasPrefix(ce.Message, tt.field+":") {
			t.Errorf("%s %s: error %v, want INVALID_ARGUMENT on %s", tt.action, tt.body, err, tt.field)
		}
	}
}
