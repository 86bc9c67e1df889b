package config

import (
	"fmt"
	"os"
)

// validateNATSFiles checks that the credential and TLS files named in n
// can be read, so a typo fails at start-up with the field name instead of
// as a connection that never authenticates.
func validateNATSFiles(v *validator, n *NATS) {
	for _, f := range []struct{ field, path string }{
		{"nats.nkey_seed_file", n.NKeySeedFile},
		{"nats.creds_file", n.CredsFile},
		{"nats.tls.ca_file", n.TLS.CAFile},
		{"nats.tls.cert_file", n.TLS.CertFile},
		{"nats.tls.key_file", n.TLS.KeyFile},
	} {
		if f.path == "" {
			continue
		}
		fi, err := os.Stat(f.path)
		switch {
		case err != nil:
			v.add(f.field, fmt.Sprintf("cannot read %s: %v", f.path, unwrapPath(err)))
		case fi.IsDir():
			v.add(f.field, fmt.Sprintf("%s is a directory", f.path))
		}
	}
	if n.URL == "" && (n.User != "" || n.Token != "" || n.NKeySeedFile != "" || n.CredsFile != "" || n.TLS != (TLSFiles{})) {
		v.add("nats.url", "required with NATS credentials or TLS files (they are not used by the embedded server)")
	}
}

// unwrapPath drops the path an *os.PathError repeats.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
