// Package tgnats runs tgnats in simulator mode in a container for
// integration tests, with testcontainers-go: a simulated Telegram, the
// connector and NATS (embedded in the container, a NATS container it
// starts, or yours), and helpers that drive the simulator through its
// control surface (tgsim.<account>.control.<verb> on NATS).
//
//	ctr, err := tgnats.Run(ctx, "tgnats:latest", tgnats.WithNATSContainer("nats:2.12"))
//	testcontainers.CleanupContainer(t, ctr)
//	if err != nil { t.Fatal(err) }
//	url, _ := ctr.NATSURL(ctx) // subscribe to tg.main.events.>, publish tg.main.commands.*
//	chat, _ := ctr.CreateChat(ctx, tgnats.ChatSpec{Type: "private", Title: "Alice"})
//	ref, _ := ctr.InjectMessage(ctx, tgnats.Message{Chat: chat, Text: "hi"})
//	ledger, _ := ctr.Ledger(ctx) // what the simulated Telegram holds, bot replies included
//
// Run waits until the connector answers /readyz (HTTP; images without a
// shell work). Containers are removed by CleanupContainer (or Terminate),
// which also removes the NATS container and network Run created. Where
// testcontainers' reaper cannot run (no registry to pull it from, rootless
// engines), set TESTCONTAINERS_RYUK_DISABLED=true and always call
// CleanupContainer right after Run, before checking its error.
//
// The module depends on testcontainers-go and nats.go only, not on the
// connector's module: its JSON types mirror the control surface's.
package tgnats
