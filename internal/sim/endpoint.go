package sim

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/dcs"
	"github.com/gotd/td/tg"
)

// Endpoint is what a client needs to reach a simulator: the DC id, the TCP
// address and the server's RSA public key. It is JSON-serialisable so that
// a simulator in one process can be found by a connector in another.
type Endpoint struct {
	DC           int    `json:"dc"`
	Addr         string `json:"addr"`
	PublicKeyPEM string `json:"public_key_pem"`
	// OtherDCs are the simulator's other DCs (same key): a client learns
	// them from help.getConfig; they are here for tools and tests.
	OtherDCs []DCAddr `json:"other_dcs,omitempty"`
}

// DCAddr is the address of one DC.
type DCAddr struct {
	DC   int    `json:"dc"`
	Addr string `json:"addr"`
}

// WriteFile writes e as JSON to path atomically (temporary file and rename).
func (e Endpoint) WriteFile(path string) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("encode endpoint: %w", err)
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// ReadEndpoint reads an Endpoint written by Endpoint.WriteFile.
func ReadEndpoint(path string) (Endpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Endpoint{}, fmt.Errorf("read endpoint: %w", err)
	}
	var e Endpoint
	if err := json.Unmarshal(b, &e); err != nil {
		return Endpoint{}, fmt.Errorf("decode endpoint %s: %w", path, err)
	}
	return e, nil
}

// PublicKeys returns the server key for telegram.Options.PublicKeys.
func (e Endpoint) PublicKeys() ([]telegram.PublicKey, error) {
	block, _ := pem.Decode([]byte(e.PublicKeyPEM))
	if block == nil {
		return nil, fmt.Errorf("%w: endpoint has no PEM public key", ErrInvalid)
	}
	k, err := x509.ParsePKCS1PublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	return []telegram.PublicKey{{RSA: k}}, nil
}

// DCList returns the DC list for telegram.Options.DCList.
func (e Endpoint) DCList() (dcs.List, error) {
	host, port, err := net.SplitHostPort(e.Addr)
	if err != nil {
		return dcs.List{}, fmt.Errorf("%w: endpoint address %q: %v", ErrInvalid, e.Addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return dcs.List{}, fmt.Errorf("%w: endpoint port %q", ErrInvalid, port)
	}
	list := dcs.List{Options: []tg.DCOption{{ID: e.DC, IPAddress: host, Port: p, Static: true}}}
	for _, o := range e.OtherDCs {
		ta, err := net.ResolveTCPAddr("tcp", o.Addr)
		if err != nil {
			return dcs.List{}, fmt.Errorf("%w: DC %d address %q: %v", ErrInvalid, o.DC, o.Addr, err)
		}
		list.Options = append(list.Options, tg.DCOption{ID: o.DC, IPAddress: ta.IP.String(), Port: ta.Port, Static: true})
	}
	return list, nil
}

// ClientOptions fills PublicKeys, DCList and DC of opts so that a gotd
// client connects to this endpoint.
func (e Endpoint) ClientOptions(opts telegram.Options) (telegram.Options, error) {
	keys, err := e.PublicKeys()
	if err != nil {
		return opts, err
	}
	list, err := e.DCList()
	if err != nil {
		return opts, err
	}
	opts.PublicKeys = keys
	opts.DCList = list
	opts.DC = e.DC
	return opts, nil
}

func encodePublicKey(k *rsa.PublicKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(k)}))
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
