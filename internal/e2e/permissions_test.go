package e2e

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/egress"
	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// connectorPermissions is the minimal NATS permission set of a connector
// serving account, as README "Security" documents it.
func connectorPermissions(prefix, account string, l config.Lease) *server.Permissions {
	events, commands := schema.EventStreamName(account), egress.StreamName(account)
	streamAPI := func(stream string) []string {
		return []string{"$JS.API.STREAM.CREATE." + stream, "$JS.API.STREAM.UPDATE." + stream, "$JS.API.STREAM.INFO." + stream}
	}
	kv := func(bucket string) []string {
		return append(streamAPI("KV_"+bucket),
			"$KV."+bucket+"."+account,
			"$JS.API.DIRECT.GET.KV_"+bucket+".$KV."+bucket+"."+account)
	}
	pub := []string{
		prefix + "." + account + ".events.>",
		"$JS.API.CONSUMER.CREATE." + commands + "." + egress.ConsumerName,
		"$JS.API.CONSUMER.INFO." + commands + "." + egress.ConsumerName,
		"$JS.API.CONSUMER.MSG.NEXT." + commands + "." + egress.ConsumerName,
		"$JS.ACK." + commands + ".>",
		"$JS.API.INFO",
	}
	pub = slices.Concat(pub, streamAPI(events), streamAPI(commands), kv(l.Bucket), kv(l.CheckpointBucket))
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: pub},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>", prefix + "." + account + ".rpc.>", "$SRV.>"}},
		// Replies of the rpc service and of $SRV discovery go to the
		// requester's reply subject. Max 2: an rpc request reaches two
		// subscriptions (its action and the unknown-action catch-all), and
		// the server counts the second delivery against the budget.
		Response: &server.ResponsePermission{MaxMsgs: 2, Expires: time.Minute},
	}
}

// permissionsNATS runs a nats-server with JetStream, a user "tgnats" with
// perms and a user "admin" with all permissions. It returns the URLs of both.
func permissionsNATS(t *testing.T, perms *server.Permissions) (connectorURL, adminURL string) {
	t.Helper()
	srv := natstest.Server(t, &server.Options{
		JetStream: true, StoreDir: t.TempDir(),
		Users: []*server.User{
			{Username: "tgnats", Password: "tgnats-pw", Permissions: perms},
			{Username: "admin", Password: "admin-pw"},
		},
	})
	addr := strings.TrimPrefix(srv.ClientURL(), "nats://")
	return "nats://" + addr, "nats://admin:admin-pw@" + addr
}

// startRestricted runs a connector as user "tgnats" and returns its log.
func (w *world) startRestricted(t *testing.T, url string) (*running, *syncbuf.Buffer) {
	t.Helper()
	cfg := w.connectorConfig(filepath.Join(t.TempDir(), "data"), url, "127.0.0.1:0")
	cfg.NATS.User, cfg.NATS.Password = "tgnats", "tgnats-pw"
	logs := &syncbuf.Buffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("connector log:\n%s", logs)
		}
	})
	return w.startConnectorWith(t, cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))), logs
}

// TestMinimalPermissions runs the connector (lease, checkpoints, events,
// commands, rpc) as a NATS user holding exactly the documented permissions:
// events flow, a command round trip works, and no permission is refused.
func TestMinimalPermissions(t *testing.T) {
	w := newWorld(t, sim.Config{})
	def := config.Default()
	url, admin := permissionsNATS(t, connectorPermissions("tg", w.acc.Name, def.Lease))
	c, logs := w.startRestricted(t, url)
	w.commandRoundTrip(t, admin)
	testutil.Eventually(t, 30*time.Second, "a checkpoint written", func() bool {
		return strings.Contains(logs.String(), "checkpoint written")
	})
	if strings.Contains(logs.String(), "Permissions Violation") {
		t.Fatalf("a permission was refused:\n%s", grepLines(logs.String(), "Permissions Violation"))
	}
	c.stop(t)
}

// TestMissingPermission takes one permission away (publishing events) and
// checks that the connector's log names what was refused.
func TestMissingPermission(t *testing.T) {
	w := newWorld(t, sim.Config{})
	def := config.Default()
	perms := connectorPermissions("tg", w.acc.Name, def.Lease)
	events := "tg." + w.acc.Name + ".events.>"
	perms.Publish.Allow = slices.DeleteFunc(perms.Publish.Allow, func(s string) bool { return s == events })
	url, _ := permissionsNATS(t, perms)
	_, logs := w.startRestricted(t, url)
	if err := w.sim.Produce(t.Context(), sim.Scenario{Seed: 4}, 5); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`Permissions Violation for Publish to \"tg.%s.events.`, w.acc.Name)
	testutil.Eventually(t, 60*time.Second, "the refused permission in the log", func() bool {
		return strings.Contains(logs.String(), want)
	})
	t.Logf("the log says: %s", grepLines(logs.String(), "Permissions Violation")[0])
}

func grepLines(s, sub string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

// filesPermissions are the grants README "Security" adds for files: the
// account's Object Store bucket (media.download, media.send from an object).
func filesPermissions(account string) []string {
	b := schema.FilesBucketName(account)
	s := "OBJ_" + b
	return []string{
		"$JS.API.STREAM.CREATE." + s, "$JS.API.STREAM.UPDATE." + s,
		"$JS.API.STREAM.PURGE." + s, // the chunks of a failed or replaced transfer
		"$JS.API.DIRECT.GET." + s + ".>",
		"$JS.API.CONSUMER.CREATE." + s + ".>", "$JS.API.CONSUMER.DELETE." + s + ".>",
		"$JS.API.CONSUMER.MSG.NEXT." + s + ".>", // media.send pulls an object's chunks
		"$O." + b + ".>",
	}
}

// TestMinimalPermissionsFiles runs media.download and media.send from an
// object as a NATS user holding the documented permissions and the files
// grants: both work and no permission is refused.
func TestMinimalPermissionsFiles(t *testing.T) {
	w := newWorld(t, sim.Config{})
	def := config.Default()
	perms := connectorPermissions("tg", w.acc.Name, def.Lease)
	perms.Publish.Allow = append(perms.Publish.Allow, filesPermissions(w.acc.Name)...)
	url, admin := permissionsNATS(t, perms)
	c, logs := w.startRestricted(t, url)
	ctx := t.Context()
	cl := newCommandClient(t, admin, w.acc.Name)
	alice := w.sim.CreateUser("Alice", "", "alice_perm")
	chat := schema.PeerRef{Kind: schema.PeerUser, ID: alice}
	id, err := w.sim.SendMessage(ctx, sim.Outgoing{Account: w.acc.Name, Chat: chat, From: alice, Media: "document", File: &sim.File{Size: 3 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	cl.events.wait(t, schema.EventID(w.acc.Name, chat, id, schema.KindMessage, schema.ActionCreated, 0))
	var res schema.CommandResult
	testutil.Eventually(t, 30*time.Second, "the rpc service answering", func() bool {
		res = cl.rpc(t, schema.CommandMediaDownload, fmt.Sprintf(`{"peer": %s, "message_id": %d}`, peerJSON(chat), id), sent{key: "perm-dl"})
		return res.OK
	})
	again := cl.rpc(t, schema.CommandMediaDownload, fmt.Sprintf(`{"peer": %s, "message_id": %d}`, peerJSON(chat), id), sent{key: "perm-dl-2"})
	if !again.OK || !again.Result.File.Cached {
		t.Fatalf("repeat: %+v", again)
	}
	send := cl.rpc(t, schema.CommandMediaSend, fmt.Sprintf(`{"peer": %s, "media": {"type": "document", "object": %q}}`, peerJSON(chat), res.Result.File.Object), sent{key: "perm-send"})
	if !send.OK {
		t.Fatalf("media.send: %+v", send.Error)
	}
	if strings.Contains(logs.String(), "Permissions Violation") {
		t.Fatalf("a permission was refused:\n%s", grepLines(logs.String(), "Permissions Violation"))
	}
	c.stop(t)
}
