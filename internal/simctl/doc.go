// Package simctl serves the simulator's control surface on NATS, so that
// tests in any language (and the container tests of the testcontainers
// module) drive a running `connector simulate`: inject incoming traffic,
// build the world, provoke faults and read what the simulator holds.
//
// Every verb is a core NATS request-reply on
// <prefix>.<account>.control.<verb> (prefix "tgsim") with a JSON body (an
// empty body is {}) and a JSON reply, shaped like command results:
//
//	{"ok": true, "result": {...}}
//	{"ok": false, "error": {"code": "INVALID_ARGUMENT", "message": "..."}}
//
// A chat is {"kind": "channel", "id": 123}, as in events; requests may
// also spell it as commands used to, {"peer_kind": ..., "peer_id": ...}.
//
// Verbs: message.inject, message.edit, message.delete, callback.press,
// the bot queries inline.query, inline.send, inline.press, precheckout and
// shipping (each answers the query id and the connector's event id),
// user.create, chat.create (count: many at once), gap.withhold,
// gap.too_long, flood_wait, fault (every kind of sim.Fault: qts updates,
// updatesCombined, lost and replayed containers, channel leave/join,
// channel with history, updateChannelTooLong, quiet channels, call errors
// such as a refused getDifference, held replies, short sent replies),
// traffic (the simulator's one
// generator), ledger (paged: from, limit, next), actions (the calls
// served, sim.Call; the verb keeps its first name), calls (served calls
// counted by TL method); for user accounts (login.go): login.code (the
// code last sent to the account's phone), login.accept (its phone scans
// the QR code shown), session.revoke ("Terminate all sessions"). Error codes: INVALID_ARGUMENT (bad JSON,
// unknown field, missing or out-of-range value), NOT_FOUND (no such chat,
// message or user), UNKNOWN_VERB, INTERNAL (the simulator refused, e.g.
// it is shutting down). A bad request is answered, never fatal.
//
// Limits: requests are served one at a time, in arrival order; a request
// without a reply subject is logged and dropped (there is nobody to
// answer). The surface has no authentication: serve it only on a NATS
// that tests own. Changes made through it are journaled by the simulator
// like any other, so they survive a restart on the same data dir; the
// traffic verb's generator and the transient faults (combine, replay,
// quiet, call errors, held and short sent replies) do not (a restart
// serves the --rate flag).
package simctl
