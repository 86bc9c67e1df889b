package mapping

import (
	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// Service action type names (schema.ServiceAction.Type).
const (
	ActionChatCreate          = "chat_create"
	ActionChatEditTitle       = "chat_edit_title"
	ActionChatEditPhoto       = "chat_edit_photo"
	ActionChatDeletePhoto     = "chat_delete_photo"
	ActionChatAddUser         = "chat_add_user"
	ActionChatDeleteUser      = "chat_delete_user"
	ActionChatJoinedByLink    = "chat_joined_by_link"
	ActionChatJoinedByRequest = "chat_joined_by_request"
	ActionChannelCreate       = "channel_create"
	ActionChatMigrateTo       = "chat_migrate_to"
	ActionChannelMigrateFrom  = "channel_migrate_from"
	ActionPinMessage          = "pin_message" // the pinned message is the reply_to
	ActionHistoryClear        = "history_clear"
	ActionScreenshotTaken     = "screenshot_taken"
	ActionCustomAction        = "custom_action"
	ActionContactSignUp       = "contact_sign_up"
	ActionTopicCreate         = "topic_create"
	ActionTopicEdit           = "topic_edit"
	ActionInviteToGroupCall   = "invite_to_group_call"
)

// serviceAction maps the action of a service message. A nil action and any
// constructor not listed above become Type "unsupported" with the TL
// constructor name ("" for nil), never nil: the event still says that
// something happened.
func serviceAction(a tg.MessageActionClass) *schema.ServiceAction {
	if absent(a) {
		return &schema.ServiceAction{Type: schema.Unsupported}
	}
	switch a := a.(type) {
	case *tg.MessageActionChatCreate:
		return &schema.ServiceAction{Type: ActionChatCreate, Title: a.Title, UserIDs: ids(a.Users)}
	case *tg.MessageActionChatEditTitle:
		return &schema.ServiceAction{Type: ActionChatEditTitle, Title: a.Title}
	case *tg.MessageActionChatEditPhoto:
		return &schema.ServiceAction{Type: ActionChatEditPhoto}
	case *tg.MessageActionChatDeletePhoto:
		return &schema.ServiceAction{Type: ActionChatDeletePhoto}
	case *tg.MessageActionChatAddUser:
		return &schema.ServiceAction{Type: ActionChatAddUser, UserIDs: ids(a.Users)}
	case *tg.MessageActionChatDeleteUser:
		return &schema.ServiceAction{Type: ActionChatDeleteUser, UserIDs: []int64{a.UserID}}
	case *tg.MessageActionChatJoinedByLink:
		return &schema.ServiceAction{Type: ActionChatJoinedByLink, InviterID: a.InviterID}
	case *tg.MessageActionChatJoinedByRequest:
		return &schema.ServiceAction{Type: ActionChatJoinedByRequest}
	case *tg.MessageActionChannelCreate:
		return &schema.ServiceAction{Type: ActionChannelCreate, Title: a.Title}
	case *tg.MessageActionChatMigrateTo:
		return &schema.ServiceAction{Type: ActionChatMigrateTo, ChannelID: a.ChannelID}
	case *tg.MessageActionChannelMigrateFrom:
		return &schema.ServiceAction{Type: ActionChannelMigrateFrom, Title: a.Title, ChatID: a.ChatID}
	case *tg.MessageActionPinMessage:
		return &schema.ServiceAction{Type: ActionPinMessage}
	case *tg.MessageActionHistoryClear:
		return &schema.ServiceAction{Type: ActionHistoryClear}
	case *tg.MessageActionScreenshotTaken:
		return &schema.ServiceAction{Type: ActionScreenshotTaken}
	case *tg.MessageActionCustomAction:
		return &schema.ServiceAction{Type: ActionCustomAction, Message: a.Message}
	case *tg.MessageActionContactSignUp:
		return &schema.ServiceAction{Type: ActionContactSignUp}
	case *tg.MessageActionTopicCreate:
		return &schema.ServiceAction{Type: ActionTopicCreate, Title: a.Title}
	case *tg.MessageActionTopicEdit:
		return &schema.ServiceAction{Type: ActionTopicEdit, Title: a.Title}
	case *tg.MessageActionInviteToGroupCall:
		return &schema.ServiceAction{Type: ActionInviteToGroupCall, UserIDs: ids(a.Users)}
	default:
		return &schema.ServiceAction{Type: schema.Unsupported, Constructor: a.TypeName()}
	}
}

// ids copies a user id list so the event does not alias the update.
func ids(in []int64) []int64 {
	if len(in) == 0 {
		return nil
	}
	return append([]int64(nil), in...)
}
