// Package tgnats runs tgnats in simulator mode in a container for
// integration tests, with testcontainers-go: a simulated Telegram, the
// connector and NATS (embedded in the container, a NATS container it
// starts, or yours), and helpers that drive the simulator through its
// control surface (tgsim.<account>.control.<verb> on NATS).
//
//	notes, err := tgnats.PrepareEnv(ctx)                 // once, in TestMain
//	img, err := tgnats.BuildImage(ctx, "/path/to/tgnats") // no registry needed
//	ctr, err := tgnats.Run(ctx, img)
//	testcontainers.CleanupContainer(t, ctr)
//	if err != nil { t.Fatal(err) }
//	url, _ := ctr.ConnectionString(ctx) // subscribe to tg.main.events.>, publish tg.main.commands.*
//	chat, _ := ctr.CreateChat(ctx, tgnats.ChatSpec{Type: "private", Title: "Alice"})
//	id, _ := ctr.InjectMessage(ctx, tgnats.Message{Chat: chat, Text: "hi"}) // the message id
//	ledger, _ := ctr.Ledger(ctx) // what the simulated Telegram holds, bot replies included
//
// Run waits until the connector answers /readyz (HTTP; images without a
// shell work). Containers are removed by CleanupContainer (or Terminate),
// which also removes the NATS container and network Run created.
// PrepareEnv adapts testcontainers-go to engines without a registry (no
// reaper image: it runs without the reaper and removes what interrupted
// runs left) and to sandboxes whose published ports are on loopback;
// BuildImage and BuildNATSImage build the images FROM scratch from a
// checkout of the source. Always call CleanupContainer right after Run,
// before checking its error.
//
// User accounts (WithUserAccount, or several accounts with WithAccounts):
// Run returns at the simulator's login screen; LogIn (code and 2FA) or
// LogInQR runs `connector login` inside the container, playing the
// account's phone with LoginCode and AcceptLoginToken; WaitReady then
// waits for the connector:
//
//	ctr, err := tgnats.Run(ctx, img, tgnats.WithUserAccount("+15550001111", "hunter2"))
//	err = ctr.LogIn(ctx, "main")
//	err = ctr.WaitReady(ctx)
//
// The module depends on testcontainers-go and nats.go only, not on the
// connector's module: its JSON types mirror the control surface's.
package tgnats
