package config

import "testing"

// Command inputs share the TGNATS_ prefix but are not configuration keys.
func TestLoadIgnoresInputVars(t *testing.T) {
	env := []string{"TGNATS_STATE_ENCRYPTION_KEY=k"}
	for _, v := range InputVars {
		env = append(env, v+"=x")
	}
	c, err := Load("", env)
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if c.State.EncryptionKey.Value() != "k" {
		t.Errorf("state.encryption_key = %q, want %q", c.State.EncryptionKey.Value(), "k")
	}
}
