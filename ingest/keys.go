package ingest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/gotd/td/telegram"
)

// ParsePublicKeys reads the RSA public keys of a Telegram server (a test DC
// or the simulator) from PEM data: PKCS #1 ("RSA PUBLIC KEY") or PKIX
// ("PUBLIC KEY") blocks.
func ParsePublicKeys(data []byte) ([]telegram.PublicKey, error) {
	var keys []telegram.PublicKey
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		var pub *rsa.PublicKey
		switch block.Type {
		case "RSA PUBLIC KEY":
			k, err := x509.ParsePKCS1PublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("ingest: public key: %w", err)
			}
			pub = k
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("ingest: public key: %w", err)
			}
			rk, ok := k.(*rsa.PublicKey)
			if !ok {
				return nil, fmt.Errorf("ingest: public key is %T, not RSA", k)
			}
			pub = rk
		default:
			continue
		}
		keys = append(keys, telegram.PublicKey{RSA: pub})
	}
	if len(keys) == 0 {
		return nil, errors.New("ingest: no RSA public key found in PEM data")
	}
	return keys, nil
}
