package sim

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// The methods the simulator serves, in one table: adding one is a row here
// and its handler. A row binds a TL type id to a handler whose request
// type the shared decode step (decodeRequest) decodes; the shared dispatch
// step (serve) turns a panicking handler into 500 INTERNAL. Methods
// without a row answer as gotd's tgtest fallback does (not implemented).

// errInternal answers a call whose handler panicked.
var errInternal = tgerr.New(500, "INTERNAL")

// route is one served method.
type route struct {
	// request is the TL type id of the handler's request type.
	request uint32
	// world, for methods of a logged-in account, runs with the world
	// locked and returns the result to send (HoldReplies may keep it back).
	world func(s *Sim, a *account, req *tgtest.Request) (bin.Encoder, error)
	// open, for methods callable before login or that send their own
	// answer, runs without the world lock.
	open func(s *Sim, srv *tgtest.Server, req *tgtest.Request) error
}

// tlRequest is a TL request type T decoded through its pointer P.
type tlRequest[T any] interface {
	*T
	bin.Decoder
	TypeID() uint32
}

// decodeRequest is the shared decode step of every route.
func decodeRequest[T any, P tlRequest[T]](req *tgtest.Request) (P, error) {
	r := P(new(T))
	if err := r.Decode(req.Buf); err != nil {
		return nil, err
	}
	return r, nil
}

// worldRoute makes a route of a handler of an authorized method.
func worldRoute[T any, P tlRequest[T]](h func(s *Sim, a *account, req *tgtest.Request, r P) (bin.Encoder, error)) route {
	return route{request: P(new(T)).TypeID(), world: func(s *Sim, a *account, req *tgtest.Request) (bin.Encoder, error) {
		r, err := decodeRequest[T, P](req)
		if err != nil {
			return nil, err
		}
		return h(s, a, req, r)
	}}
}

// openRoute makes a route of a handler that answers by itself.
func openRoute[T any, P tlRequest[T]](h func(s *Sim, srv *tgtest.Server, req *tgtest.Request, r P) error) route {
	return route{request: P(new(T)).TypeID(), open: func(s *Sim, srv *tgtest.Server, req *tgtest.Request) error {
		r, err := decodeRequest[T, P](req)
		if err != nil {
			return err
		}
		return h(s, srv, req, r)
	}}
}

// routes is the table of served methods by TL type id.
func routes() map[uint32]route {
	return map[uint32]route{
		// Login and connection set-up (rpc.go, auth_user.go; users.getUsers in api_peers.go).
		tg.AuthImportBotAuthorizationRequestTypeID: openRoute((*Sim).onImportBotAuthorization),
		tg.HelpGetNearestDCRequestTypeID:           openRoute((*Sim).onGetNearestDC),
		tg.UsersGetUsersRequestTypeID:              openRoute((*Sim).onGetUsers),
		tg.AuthSendCodeRequestTypeID:               openRoute((*Sim).onSendCode),
		tg.AuthSignInRequestTypeID:                 openRoute((*Sim).onSignIn),
		tg.AccountGetPasswordRequestTypeID:         openRoute((*Sim).onGetPassword),
		tg.AuthCheckPasswordRequestTypeID:          openRoute((*Sim).onCheckPassword),
		tg.AuthExportLoginTokenRequestTypeID:       openRoute((*Sim).onExportLoginToken),
		tg.AuthImportLoginTokenRequestTypeID:       openRoute((*Sim).onImportLoginToken),
		tg.AuthAcceptLoginTokenRequestTypeID:       openRoute((*Sim).onAcceptLoginToken),
		tg.AuthLogOutRequestTypeID:                 openRoute((*Sim).onLogOut),
		tg.AuthExportAuthorizationRequestTypeID:    openRoute((*Sim).onExportAuthorization), // dcs.go
		tg.AuthImportAuthorizationRequestTypeID:    openRoute((*Sim).onImportAuthorization),

		// Updates and reads (rpc.go, difference.go, dialogs.go; channels.getChannels in api_peers.go).
		tg.UpdatesGetStateRequestTypeID:             worldRoute((*Sim).onGetState),
		tg.UpdatesGetDifferenceRequestTypeID:        worldRoute((*Sim).onGetDifference),
		tg.UpdatesGetChannelDifferenceRequestTypeID: worldRoute((*Sim).onGetChannelDifference),
		tg.MessagesGetHistoryRequestTypeID:          worldRoute((*Sim).onGetHistory),
		tg.MessagesGetMessagesRequestTypeID:         worldRoute((*Sim).onGetMessages),
		tg.ChannelsGetMessagesRequestTypeID:         worldRoute((*Sim).onGetChannelMessages),
		tg.ChannelsGetChannelsRequestTypeID:         worldRoute((*Sim).onGetChannels),
		tg.MessagesGetChatsRequestTypeID:            worldRoute((*Sim).onGetChats),
		tg.MessagesGetDialogsRequestTypeID:          worldRoute((*Sim).onGetDialogs),

		// The egress surface of bots (api_rpc.go).
		tg.MessagesSendMessageRequestTypeID:          worldRoute((*Sim).onSendMessage),
		tg.MessagesSendMediaRequestTypeID:            worldRoute((*Sim).onSendMedia),
		tg.UploadSaveFilePartRequestTypeID:           worldRoute((*Sim).onSaveFilePart),
		tg.UploadSaveBigFilePartRequestTypeID:        worldRoute((*Sim).onSaveBigFilePart),
		tg.UploadGetFileRequestTypeID:                worldRoute((*Sim).onGetFile), // files.go
		tg.MessagesEditMessageRequestTypeID:          worldRoute((*Sim).onEditMessage),
		tg.MessagesDeleteMessagesRequestTypeID:       worldRoute((*Sim).onDeleteMessages),
		tg.ChannelsDeleteMessagesRequestTypeID:       worldRoute((*Sim).onChannelsDeleteMessages),
		tg.MessagesForwardMessagesRequestTypeID:      worldRoute((*Sim).onForwardMessages),
		tg.MessagesUpdatePinnedMessageRequestTypeID:  worldRoute((*Sim).onUpdatePinnedMessage),
		tg.MessagesSendReactionRequestTypeID:         worldRoute((*Sim).onSendReaction),
		tg.MessagesSetTypingRequestTypeID:            worldRoute((*Sim).onSetTyping),
		tg.MessagesReadHistoryRequestTypeID:          worldRoute((*Sim).onReadHistory),
		tg.ChannelsReadHistoryRequestTypeID:          worldRoute((*Sim).onChannelsReadHistory),
		tg.MessagesSetBotCallbackAnswerRequestTypeID: worldRoute((*Sim).onSetBotCallbackAnswer),
		tg.ContactsResolveUsernameRequestTypeID:      worldRoute((*Sim).onResolveUsername),

		// Answers to bot queries (bot_rpc.go).
		tg.MessagesSetInlineBotResultsRequestTypeID:      worldRoute((*Sim).onSetInlineBotResults),
		tg.MessagesSetBotPrecheckoutResultsRequestTypeID: worldRoute((*Sim).onSetBotPrecheckoutResults),
		tg.MessagesSetBotShippingResultsRequestTypeID:    worldRoute((*Sim).onSetBotShippingResults),
	}
}

// register registers every route of s.routes with d.
func (s *Sim) register(d *tgtest.Dispatcher) {
	for id, rt := range s.routes {
		d.HandleFunc(id, s.serve(id, rt))
	}
}

// serve is the shared dispatch step: it runs rt for method id and answers
// 500 INTERNAL, with the stack in the log, when the handler panics.
func (s *Sim) serve(id uint32, rt route) tgtest.HandlerFunc {
	return func(srv *tgtest.Server, req *tgtest.Request) (err error) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("rpc handler panicked", "method", methodName(id), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				err = errInternal
			}
		}()
		if rt.open != nil {
			return rt.open(s, srv, req)
		}
		name, ok := s.authorize(req)
		if !ok {
			return errUnregistered
		}
		res, err := s.serveWorld(name, req, rt)
		if err != nil {
			var rpcErr *tgerr.Error
			if errors.As(err, &rpcErr) {
				return rpcErr
			}
			s.log.Warn("rpc failed", "method", fmt.Sprintf("%#x", id), "err", err)
			return errInternalSimulation
		}
		if s.takeHold(id) {
			return nil // HoldReplies: done, but the caller never hears of it
		}
		return srv.SendResult(req, res)
	}
}

// serveWorld runs rt's world handler for account name with the world locked.
func (s *Sim) serveWorld(name string, req *tgtest.Request, rt route) (bin.Encoder, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(req)
	if a, ok := s.resent.get(k); ok {
		return a.res, a.err // sent again: answered as the first time
	}
	res, err := rt.world(s, s.w.byName[name], req)
	s.resent.put(k, answer{res, err})
	return res, err
}
