package state

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
)

// sealMagic starts every sealed value. It begins with a NUL byte, which no
// gotd session (JSON) does, so sealed and plain values are told apart
// without a key.
var sealMagic = []byte{0x00, 'T', 'G', 'N', 'S', 0x01}

type aeadSealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*aeadSealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: encryption key: %w", ErrInvalid, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: encryption key: %w", ErrInvalid, err)
	}
	return &aeadSealer{aead: aead}, nil
}

// seal returns magic + nonce + ciphertext. The storage key is the additional
// data, so a sealed value copied under another key does not open.
func (a *aeadSealer) seal(storageKey, plain []byte) ([]byte, error) {
	nonceSize := a.aead.NonceSize()
	out := make([]byte, len(sealMagic)+nonceSize, len(sealMagic)+nonceSize+len(plain)+a.aead.Overhead())
	copy(out, sealMagic)
	if _, err := rand.Read(out[len(sealMagic):]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return a.aead.Seal(out, out[len(sealMagic):], plain, storageKey), nil
}

func isSealed(v []byte) bool { return bytes.HasPrefix(v, sealMagic) }

// open reverses seal. A nil sealer (no key configured) or a failed
// authentication is ErrWrongKey.
func (a *aeadSealer) open(storageKey, sealed []byte) ([]byte, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: value is encrypted and no key is configured", ErrWrongKey)
	}
	rest := sealed[len(sealMagic):]
	if len(rest) < a.aead.NonceSize() {
		return nil, fmt.Errorf("%w: sealed value of %d bytes", ErrCorrupt, len(sealed))
	}
	nonce, ct := rest[:a.aead.NonceSize()], rest[a.aead.NonceSize():]
	plain, err := a.aead.Open(nil, nonce, ct, storageKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWrongKey, err)
	}
	return plain, nil
}
