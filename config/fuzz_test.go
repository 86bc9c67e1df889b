package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad loads arbitrary YAML with arbitrary TGNATS_ variables (one per
// line of env): never a panic; a loaded configuration validates, renders
// and logs without one, and a failure is an error with a message.
func FuzzLoad(f *testing.F) {
	f.Add(string(Example()), "")
	f.Add("accounts:\n  - {name: a, bot_token: \"1:x\", dc: {id: 2, address: \"127.0.0.1:1\"}}\n", "TGNATS_NATS_URL=nats://127.0.0.1:4222\nTGNATS_ACCOUNTS_0_NAME=b")
	f.Add("", "TGNATS_ACCOUNTS_0_NAME=a\nTGNATS_ACCOUNTS_1_BOT_TOKEN=2:y\nTGNATS_LEASE_TTL=3s")
	f.Add("lease: {ttl: 1h}\n", "TGNATS_ACCOUNTS_10_NAME=x")
	f.Add("nats: {password: p}\n", "TGNATS_NATS_PASSWORD_FILE=/nonexistent")
	f.Add("accounts: [{name: a, app_id: 99999999999999999999}]\n", "TGNATS_HTTP_LISTEN=:0\nTGNATS_COMMANDS_ALLOW_PEERS=a,b,,c")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, yaml, env string) {
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path, strings.Split(env, "\n"))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("error without a message")
			}
			return
		}
		if err := c.Validate(); err != nil && err.Error() == "" {
			t.Fatal("validation error without a message")
		}
		_ = c.String()
		_ = c.LogValue().String()
	})
}
