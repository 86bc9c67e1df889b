package mapping

import (
	"fmt"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// input is what a mapper gets besides the update (see Update).
type input struct {
	account string
	ent     tg.Entities
	date    int
	r       Resolver
}

// row classifies one constructor of tg.UpdateClass: it either has a mapper
// or is ignored on purpose for reason.
type row struct {
	id     uint32 // TL type id
	name   string // TL name, e.g. "updateNewMessage"
	mapper func(in input, u tg.UpdateClass) ([]schema.Event, error)
	reason string
}

// mapped is the row of T's constructor, mapped by f.
func mapped[T tg.UpdateClass](f func(in input, u T) ([]schema.Event, error)) row {
	var zero T // a nil pointer: gotd's TypeID and TypeName do not read it
	return row{id: zero.TypeID(), name: zero.TypeName(), mapper: func(in input, u tg.UpdateClass) ([]schema.Event, error) {
		t, ok := u.(T)
		if !ok {
			return nil, fmt.Errorf("%w: %s is not a %s", ErrUnclassified, u.TypeName(), zero.TypeName())
		}
		return f(in, t)
	}}
}

// ignored is the row of T's constructor, which maps to no event for reason.
func ignored[T tg.UpdateClass](reason string) row {
	var zero T
	return row{id: zero.TypeID(), name: zero.TypeName(), reason: reason}
}

// table indexes rows by TL type id.
type table map[uint32]row

// updateTable is the table of updateRows. It is read-only.
var updateTable = index(updateRows())

func index(rows []row) table {
	t := make(table, len(rows))
	for _, r := range rows {
		t[r.id] = r
	}
	return t
}

// update maps u by its row (see Update).
func (t table) update(in input, u tg.UpdateClass) ([]schema.Event, error) {
	r, ok := t[u.TypeID()]
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: %s", ErrUnclassified, u.TypeName())
	case r.mapper == nil:
		return nil, &IgnoredError{Type: r.name, Reason: r.reason}
	}
	return r.mapper(in, u)
}

// updateRows is the table of every constructor of tg.UpdateClass in the
// gotd version this module builds with (TestEveryUpdateIsClassified fails
// on one missing). Each is mapped to events or ignored with its reason.
// Ingest moves the position (pts, qts, channel pts) of ignored updates as
// of mapped ones, and counts them in tgnats_updates_ignored_total{type}.
//
// Reasons start with a category:
//   - "not yet mapped": content a consumer may want; see issue 12.
//   - "handled by ingest": the update engine acts on it; no event.
//   - "ephemeral": a transient signal without lasting state.
//   - "client state": settings and UI state of the account's apps.
//   - "out of scope": a feature tgnats does not bridge.
func updateRows() []row {
	return []row{
		// Message events.
		mapped(func(in input, u *tg.UpdateNewMessage) ([]schema.Event, error) {
			return one(in.account, u.Message, in.ent, schema.ActionCreated)
		}),
		mapped(func(in input, u *tg.UpdateNewChannelMessage) ([]schema.Event, error) {
			return one(in.account, u.Message, in.ent, schema.ActionCreated)
		}),
		mapped(func(in input, u *tg.UpdateEditMessage) ([]schema.Event, error) {
			return one(in.account, u.Message, in.ent, schema.ActionEdited)
		}),
		mapped(func(in input, u *tg.UpdateEditChannelMessage) ([]schema.Event, error) {
			return one(in.account, u.Message, in.ent, schema.ActionEdited)
		}),
		mapped(deleteMessages),
		mapped(deleteChannelMessages),
		// Callback events.
		mapped(func(in input, u *tg.UpdateBotCallbackQuery) ([]schema.Event, error) {
			return callbackQuery(in.account, u, in.ent, in.date)
		}),
		// Bot queries (bot.go): the asking user's private chat.
		mapped(inlineCallbackQuery),
		mapped(inlineQuery),
		mapped(inlineSend),
		mapped(precheckoutQuery),
		mapped(shippingQuery),

		// Reactions, read receipts, pins, polls (issue 12; reaction.go,
		// read.go, pin.go, poll.go).
		mapped(messageReactions),
		mapped(botMessageReactions),
		mapped(botMessageReaction),
		mapped(readHistoryInbox),
		mapped(readHistoryOutbox),
		mapped(readChannelInbox),
		mapped(readChannelOutbox),
		mapped(readDiscussionInbox),
		mapped(readDiscussionOutbox),
		mapped(readMessagesContents),
		mapped(channelReadMessagesContents),
		mapped(pinnedMessages),
		mapped(pinnedChannelMessages),
		mapped(messagePoll),
		mapped(messagePollVote),
		// Link previews: a pending preview completed → message.edited of
		// each message remembered showing it (state web page links,
		// WebPageResolver; webpage.go).
		mapped(webPage),
		mapped(channelWebPage),

		// Members, join requests, bots, chats and users (issue 12; member.go,
		// join.go, profile.go).
		mapped(channelParticipant),
		mapped(chatParticipant),
		mapped(chatParticipantAdd),
		mapped(chatParticipantDelete),
		mapped(chatParticipantAdmin),
		mapped(chatParticipants),
		mapped(botStopped),
		mapped(joinRequest),
		mapped(pendingJoinRequests),
		mapped(chatUpdated),
		mapped(userName),
		mapped(userPhone),
		mapped(userEmojiStatus),
		mapped(userProfile),

		// Handled by the update engine.
		ignored[*tg.UpdateChannelTooLong]("handled by ingest: asks for the channel's difference"),
		ignored[*tg.UpdatePtsChanged]("handled by ingest: moves pts only (Telegram reset the common box)"),
		ignored[*tg.UpdateMessageID]("handled by ingest: pairs a sent message's random_id with its id; the new-message update is the event"),
		ignored[*tg.UpdateStoryID]("handled by ingest: pairs a posted story's random_id with its id"),
		ignored[*tg.UpdateChannel]("handled by ingest: names only the channel; ingest fetches it (channels.getChannels) and publishes chat.updated with what it returns (mapping.Channel), and follows or revives it"),
		ignored[*tg.UpdateLoginToken]("handled by ingest/auth: the QR login's own client only"),

		// Not yet mapped (issue 12).
		ignored[*tg.UpdateChannelMessageViews]("not yet mapped: see issue 12 view counters"),
		ignored[*tg.UpdateChannelMessageForwards]("not yet mapped: see issue 12 forward counters"),
		ignored[*tg.UpdateChannelPinnedTopic]("not yet mapped: see issue 12 forum topics"),
		ignored[*tg.UpdateChannelPinnedTopics]("not yet mapped: see issue 12 forum topics"),
		ignored[*tg.UpdateMessageExtendedMedia]("not yet mapped: see issue 12 paid media"),
		ignored[*tg.UpdateNewScheduledMessage]("not yet mapped: see issue 12 scheduled messages"),
		ignored[*tg.UpdateDeleteScheduledMessages]("not yet mapped: see issue 12 scheduled messages"),
		ignored[*tg.UpdateBotChatBoost]("not yet mapped: see issue 12 boosts"),
		ignored[*tg.UpdateGroupInvitePrivacyForbidden]("not yet mapped: see issue 12 members (invite refused by privacy)"),
		ignored[*tg.UpdateChatDefaultBannedRights]("not yet mapped: see issue 12 chat changes"),
		ignored[*tg.UpdateChannelAvailableMessages]("not yet mapped: see issue 12 chat changes (history hidden)"),
		ignored[*tg.UpdatePeerHistoryTTL]("not yet mapped: see issue 12 chat changes (auto-delete timer)"),
		ignored[*tg.UpdatePeerBlocked]("not yet mapped: see issue 12 user changes (blocked)"),
		ignored[*tg.UpdateServiceNotification]("not yet mapped: see issue 12 service notifications"),
		ignored[*tg.UpdateNewAuthorization]("not yet mapped: see issue 12 new login on the account"),
		ignored[*tg.UpdateStory]("not yet mapped: see issue 12 stories"),
		ignored[*tg.UpdateReadStories]("not yet mapped: see issue 12 stories"),
		ignored[*tg.UpdateSentStoryReaction]("not yet mapped: see issue 12 stories"),

		// Ephemeral.
		ignored[*tg.UpdateUserTyping]("ephemeral: typing; a live signal (mapping.Live), not stored"),
		ignored[*tg.UpdateChatUserTyping]("ephemeral: typing; a live signal (mapping.Live), not stored"),
		ignored[*tg.UpdateChannelUserTyping]("ephemeral: typing; a live signal (mapping.Live), not stored"),
		ignored[*tg.UpdateUserStatus]("ephemeral: online status; a live signal (mapping.Live), not stored"),
		ignored[*tg.UpdateGeoLiveViewed]("ephemeral: a live location was viewed"),
		ignored[*tg.UpdatePeerLocated]("ephemeral: people nearby"),
		ignored[*tg.UpdateTranscribedAudio]("ephemeral: answer to a transcription request"),
		ignored[*tg.UpdateWebViewResultSent]("ephemeral: a web app sent its result"),

		// Client state.
		ignored[*tg.UpdateNotifySettings]("client state: notification settings"),
		ignored[*tg.UpdatePrivacy]("client state: privacy settings"),
		ignored[*tg.UpdateAutoSaveSettings]("client state: media auto-save settings"),
		ignored[*tg.UpdateDraftMessage]("client state: drafts"),
		ignored[*tg.UpdateDialogPinned]("client state: dialog list"),
		ignored[*tg.UpdatePinnedDialogs]("client state: dialog list"),
		ignored[*tg.UpdateDialogUnreadMark]("client state: dialog list"),
		ignored[*tg.UpdateFolderPeers]("client state: dialog list"),
		ignored[*tg.UpdateDialogFilter]("client state: chat folders"),
		ignored[*tg.UpdateDialogFilterOrder]("client state: chat folders"),
		ignored[*tg.UpdateDialogFilters]("client state: chat folders"),
		ignored[*tg.UpdatePinnedSavedDialogs]("client state: saved messages list"),
		ignored[*tg.UpdateSavedDialogPinned]("client state: saved messages list"),
		ignored[*tg.UpdateChannelViewForumAsMessages]("client state: forum view setting"),
		ignored[*tg.UpdatePeerSettings]("client state: chat action bar"),
		ignored[*tg.UpdatePeerWallpaper]("client state: chat wallpaper"),
		ignored[*tg.UpdateTheme]("client state: themes"),
		ignored[*tg.UpdateContactsReset]("client state: contacts"),
		ignored[*tg.UpdateStickerSets]("client state: stickers"),
		ignored[*tg.UpdateStickerSetsOrder]("client state: stickers"),
		ignored[*tg.UpdateNewStickerSet]("client state: stickers"),
		ignored[*tg.UpdateMoveStickerSetToTop]("client state: stickers"),
		ignored[*tg.UpdateRecentStickers]("client state: stickers"),
		ignored[*tg.UpdateFavedStickers]("client state: stickers"),
		ignored[*tg.UpdateReadFeaturedStickers]("client state: stickers"),
		ignored[*tg.UpdateReadFeaturedEmojiStickers]("client state: stickers"),
		ignored[*tg.UpdateSavedGifs]("client state: saved GIFs"),
		ignored[*tg.UpdateRecentEmojiStatuses]("client state: recent emoji statuses"),
		ignored[*tg.UpdateRecentReactions]("client state: recent reactions"),
		ignored[*tg.UpdateSavedRingtones]("client state: ringtones"),
		ignored[*tg.UpdateAttachMenuBots]("client state: attachment menu"),
		ignored[*tg.UpdateBotMenuButton]("client state: a bot's menu button"),
		ignored[*tg.UpdateBotCommands]("client state: a bot's command list"),
		ignored[*tg.UpdateStoriesStealthMode]("client state: story stealth mode"),
		ignored[*tg.UpdateDCOptions]("client state: data centre list (gotd's own)"),
		ignored[*tg.UpdateConfig]("client state: server configuration"),
		ignored[*tg.UpdateLangPack]("client state: language pack"),
		ignored[*tg.UpdateLangPackTooLong]("client state: language pack"),

		// Out of scope.
		ignored[*tg.UpdateNewEncryptedMessage]("out of scope: secret chats (end-to-end encrypted on the devices)"),
		ignored[*tg.UpdateEncryptedChatTyping]("out of scope: secret chats (end-to-end encrypted on the devices)"),
		ignored[*tg.UpdateEncryption]("out of scope: secret chats (end-to-end encrypted on the devices)"),
		ignored[*tg.UpdateEncryptedMessagesRead]("out of scope: secret chats (end-to-end encrypted on the devices)"),
		ignored[*tg.UpdatePhoneCall]("out of scope: calls"),
		ignored[*tg.UpdatePhoneCallSignalingData]("out of scope: calls"),
		ignored[*tg.UpdateGroupCall]("out of scope: calls"),
		ignored[*tg.UpdateGroupCallParticipants]("out of scope: calls"),
		ignored[*tg.UpdateGroupCallConnection]("out of scope: calls"),
		ignored[*tg.UpdateBotWebhookJSON]("out of scope: Bot API webhooks (HTTP bots only)"),
		ignored[*tg.UpdateBotWebhookJSONQuery]("out of scope: Bot API webhooks (HTTP bots only)"),
	}
}
