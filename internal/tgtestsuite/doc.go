// Package tgtestsuite checks that the Telegrams tests talk to agree on the
// behaviour tgnats relies on: the simulator (internal/sim) and the fakes
// of the ingest and egress tests run the same cases, so a fake cannot
// drift from the simulator unnoticed.
//
// RunUpdates covers the update calls ingest makes (updates.getState,
// getDifference, getChannelDifference); RunSend the send calls egress
// makes (messages.sendMessage, contacts.resolveUsername). It is imported
// only from _test.go files.
package tgtestsuite
