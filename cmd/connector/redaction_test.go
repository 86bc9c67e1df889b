package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/connector"
	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// TestLogsRedactSecrets runs a bot and a user account through a login,
// incoming messages and a command, with the logs of every command at the
// default level captured, and looks in them for each secret and for the
// message texts.
func TestLogsRedactSecrets(t *testing.T) {
	w := newLoginWorld(t, "")

	// The user logs in (code and 2FA password) with the command's logs at info.
	c := startCLI(t, "login", "--config", w.cfgFile, "--account", simBob.Name, "--log-level", "info")
	c.waitOutput(codePrompt, 1)
	loginCode, _ := w.sim.LoginCode(simBob.Phone)
	c.typeLine(loginCode)
	c.waitOutput("2FA password: ", 1)
	c.typeLine(simBob.Password)
	login := c.wait()
	wantLoggedIn(t, login)

	// Both accounts run in one process, logging as `connector run` does.
	cfg, err := config.Load(w.cfgFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Accounts = slices.DeleteFunc(cfg.Accounts, func(a config.Account) bool { return a.Name != simBot.Name && a.Name != simBob.Name })
	cfg.HTTP.Listen = "127.0.0.1:0"
	if cfg.Log.Level != "info" {
		t.Fatalf("log level %q, want the default info", cfg.Log.Level)
	}
	var runLog syncbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	urls := make(chan string, 2)
	go func() {
		done <- connector.Run(ctx, connector.Options{
			Config: cfg, Logger: newLogger(cfg, &runLog), ConfigPath: w.cfgFile,
			OnNATS: func(u string) { urls <- u },
			OnHTTP: func(a string) { urls <- "http://" + a },
		})
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("connector: %v", err)
			}
		}
	}
	defer stop()
	natsURL, httpURL := <-urls, <-urls
	if strings.HasPrefix(natsURL, "http") {
		natsURL, httpURL = httpURL, natsURL
	}
	testutil.Eventually(t, 60*time.Second, "connector ready", func() bool {
		resp, err := http.Get(httpURL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	// Messages with distinctive texts to both accounts, and a command.
	dora := w.sim.CreateUser("Dora", "", "dora")
	texts := []string{"quokka-marmalade-4471 for the bot", "quokka-marmalade-4472 for the user", "quokka-marmalade-4473 sent by command"}
	for i, acc := range []string{simBot.Name, simBob.Name} {
		if _, err := w.sim.SendMessage(ctx, sim.Outgoing{Account: acc, Chat: schema.PeerRef{Kind: schema.PeerUser, ID: dora}, Text: texts[i]}); err != nil {
			t.Fatal(err)
		}
	}
	waitStream(t, natsURL, simBot.Name, 1)
	waitStream(t, natsURL, simBob.Name, 1)
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msg := nats.NewMsg("tg." + simBob.Name + ".rpc.message.send")
	msg.Data = fmt.Appendf(nil, `{"peer": "@dora", "text": %q}`, texts[2])
	var reply *nats.Msg
	testutil.Eventually(t, 60*time.Second, "rpc service answering", func() bool {
		reply, err = nc.RequestMsg(msg, 5*time.Second)
		return err == nil
	})
	var res schema.CommandResult
	if err := json.Unmarshal(reply.Data, &res); err != nil || !res.OK {
		t.Fatalf("command reply %s (%v)", reply.Data, err)
	}
	waitStream(t, natsURL, simBob.Name, 2)
	stop()

	logs := map[string]string{"login": login.stdout + login.stderr, "run": runLog.String()}
	if !strings.Contains(logs["run"], "level=INFO") || !strings.Contains(logs["login"], "Logged in") {
		t.Fatalf("no logs captured: %v", logs)
	}
	secrets := map[string]string{
		"bot token":        simBot.BotToken,
		"bot token secret": strings.SplitN(simBot.BotToken, ":", 2)[1],
		"app hash":         testAppHash,
		"phone number":     simBob.Phone,
		"phone digits":     strings.TrimPrefix(simBob.Phone, "+"),
		"login code":       loginCode,
		"2FA password":     simBob.Password,
	}
	for i, text := range texts {
		secrets[fmt.Sprintf("message text %d", i)] = text
	}
	for _, acc := range []string{simBot.Name, simBob.Name} {
		s := storedSession(t, w.dataDir, acc, nil)
		for form, b := range secretForms(s.authKey) {
			if form != "raw" {
				secrets[acc+" auth key "+form] = string(b)
			}
		}
		// A part of the key, as a truncated dump would show it.
		secrets[acc+" auth key hex prefix"] = string(secretForms(s.authKey[:12])["hex"])
	}
	for name, text := range logs {
		for what, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("the %s logs contain the %s %q", name, what, secret)
			}
		}
	}
	if t.Failed() {
		t.Logf("run logs:\n%s", logs["run"])
	}
}

// waitStream waits until the account's events stream holds n messages.
func waitStream(t *testing.T, url, account string, n uint64) {
	t.Helper()
	js := natstest.Connect(t, url)
	testutil.Eventually(t, 60*time.Second, fmt.Sprintf("%d events of %s", n, account), func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err := js.Stream(ctx, schema.EventStreamName(account))
		if err != nil {
			return false
		}
		info, err := st.Info(ctx)
		return err == nil && info.State.Msgs >= n
	})
}
