package connector

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// authCase is a server set up for one way to authenticate, the client
// configuration that passes it and one that does not.
type authCase struct {
	name       string
	server     func(t *testing.T) *server.Options
	good, bad  func(t *testing.T, n *config.NATS)
	tls        bool
	wantRefuse string // what the log says about bad credentials
}

func TestConnectAuth(t *testing.T) {
	ukp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	upub, _ := ukp.PublicKey()
	useed, _ := ukp.Seed()
	other, _ := nkeys.CreateUser()
	otherSeed, _ := other.Seed()

	cases := []authCase{
		{
			name:   "user and password",
			server: func(*testing.T) *server.Options { return &server.Options{Username: "tgnats", Password: "pw-right"} },
			good: func(_ *testing.T, n *config.NATS) {
				n.User, n.Password = "tgnats", "pw-right"
			},
			bad: func(_ *testing.T, n *config.NATS) {
				n.User, n.Password = "tgnats", "pw-wrong"
			},
			wantRefuse: "Authorization Violation",
		},
		{
			name:       "token",
			server:     func(*testing.T) *server.Options { return &server.Options{Authorization: "tok-right"} },
			good:       func(_ *testing.T, n *config.NATS) { n.Token = "tok-right" },
			bad:        func(_ *testing.T, n *config.NATS) { n.Token = "tok-wrong" },
			wantRefuse: "Authorization Violation",
		},
		{
			name: "nkey seed",
			server: func(*testing.T) *server.Options {
				return &server.Options{Nkeys: []*server.NkeyUser{{Nkey: upub}}}
			},
			good:       func(t *testing.T, n *config.NATS) { n.NKeySeedFile = writeFile(t, "user.nk", useed) },
			bad:        func(t *testing.T, n *config.NATS) { n.NKeySeedFile = writeFile(t, "other.nk", otherSeed) },
			wantRefuse: "Authorization Violation",
		},
		jwtCase(t),
		tlsCase(t),
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := natstest.Server(t, tc.server(t))
			url := srv.ClientURL()
			if tc.tls {
				url = strings.Replace(url, "nats://", "tls://", 1)
			}
			// A URL list: the first server is down, the second answers.
			cfg := config.Default()
			cfg.NATS.URL = "nats://127.0.0.1:1, " + url
			tc.good(t, &cfg.NATS)
			if err := cfg.Validate(); err != nil && !strings.Contains(err.Error(), "accounts") {
				t.Fatalf("config: %v", err)
			}
			logs := &syncbuf.Buffer{}
			log := slog.New(slog.NewTextHandler(logs, nil))
			nc, err := connectNATS(cfg.NATS.URL, cfg, log)
			if err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 10*time.Second, "connected", nc.IsConnected)
			if err := nc.Flush(); err != nil {
				t.Fatalf("round trip: %v", err)
			}
			testutil.Eventually(t, 10*time.Second, "connected logged", func() bool { return strings.Contains(logs.String(), "NATS connected") })
			// One line per state change: the server goes away, the
			// connection is closed.
			srv.Shutdown()
			testutil.Eventually(t, 10*time.Second, "disconnected logged", func() bool { return strings.Contains(logs.String(), "NATS disconnected") })
			nc.Close()
			testutil.Eventually(t, 10*time.Second, "closed logged", func() bool { return strings.Contains(logs.String(), "NATS connection closed") })

			// Wrong credentials: refused, and the log says so.
			srv = natstest.Server(t, tc.server(t))
			url = srv.ClientURL()
			if tc.tls {
				url = strings.Replace(url, "nats://", "tls://", 1)
			}
			bad := config.Default()
			bad.NATS.URL = url
			tc.bad(t, &bad.NATS)
			badLogs := &syncbuf.Buffer{}
			nc, err = connectNATS(url, bad, slog.New(slog.NewTextHandler(badLogs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			testutil.Eventually(t, 10*time.Second, "refusal logged", func() bool { return strings.Contains(badLogs.String(), tc.wantRefuse) })
			if nc.IsConnected() {
				t.Fatal("connected with wrong credentials")
			}
			for _, secret := range []string{"pw-wrong", "tok-wrong", string(otherSeed)} {
				if strings.Contains(badLogs.String(), secret) {
					t.Fatalf("log shows a credential:\n%s", badLogs)
				}
			}
		})
	}
}

// jwtCase runs the server in operator mode with an account resolved from
// memory; the client has a user JWT and seed in a credentials file.
func jwtCase(t *testing.T) authCase {
	okp, _ := nkeys.CreateOperator()
	opub, _ := okp.PublicKey()
	oc := jwt.NewOperatorClaims(opub)
	ojwt, err := oc.Encode(okp)
	if err != nil {
		t.Fatal(err)
	}
	operator, err := jwt.DecodeOperatorClaims(ojwt)
	if err != nil {
		t.Fatal(err)
	}
	akp, _ := nkeys.CreateAccount()
	apub, _ := akp.PublicKey()
	ajwt, err := jwt.NewAccountClaims(apub).Encode(okp)
	if err != nil {
		t.Fatal(err)
	}
	creds := func(signer nkeys.KeyPair) []byte {
		ukp, _ := nkeys.CreateUser()
		upub, _ := ukp.PublicKey()
		ujwt, err := jwt.NewUserClaims(upub).Encode(signer)
		if err != nil {
			t.Fatal(err)
		}
		seed, _ := ukp.Seed()
		b, err := jwt.FormatUserConfig(ujwt, seed)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	stranger, _ := nkeys.CreateAccount() // signs a user the operator never vouched for
	return authCase{
		name: "credentials file (JWT)",
		server: func(t *testing.T) *server.Options {
			res := &server.MemAccResolver{}
			if err := res.Store(apub, ajwt); err != nil {
				t.Fatal(err)
			}
			return &server.Options{TrustedOperators: []*jwt.OperatorClaims{operator}, AccountResolver: res}
		},
		good:       func(t *testing.T, n *config.NATS) { n.CredsFile = writeFile(t, "user.creds", creds(akp)) },
		bad:        func(t *testing.T, n *config.NATS) { n.CredsFile = writeFile(t, "stranger.creds", creds(stranger)) },
		wantRefuse: "Authorization Violation",
	}
}

// tlsCase requires TLS with client certificates from a CA made here.
func tlsCase(t *testing.T) authCase {
	dir := t.TempDir()
	caKey, caCert, caPEM := newCert(t, "tgnats test CA", nil, nil, true)
	srvKey, _, srvPEM := newCert(t, "127.0.0.1", caCert, caKey, false)
	cliKey, _, cliPEM := newCert(t, "tgnats", caCert, caKey, false)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile := write("ca.pem", caPEM)
	srvCert, srvKeyFile := write("server.pem", srvPEM), write("server-key.pem", keyPEM(t, srvKey))
	cliCert, cliKeyFile := write("client.pem", cliPEM), write("client-key.pem", keyPEM(t, cliKey))
	return authCase{
		name: "TLS with a custom CA and client certificates",
		tls:  true,
		server: func(t *testing.T) *server.Options {
			tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: srvCert, KeyFile: srvKeyFile, CaFile: caFile, Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			return &server.Options{TLS: true, TLSVerify: true, TLSConfig: tc, TLSTimeout: 2}
		},
		good: func(_ *testing.T, n *config.NATS) {
			n.TLS = config.TLSFiles{CAFile: caFile, CertFile: cliCert, KeyFile: cliKeyFile}
		},
		// No client certificate: the server refuses the handshake.
		bad:        func(_ *testing.T, n *config.NATS) { n.TLS = config.TLSFiles{CAFile: caFile} },
		wantRefuse: "NATS connection attempt failed", // the TLS alert or an EOF, by timing
	}
}

func newCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, ca bool) (*ecdsa.PrivateKey, *x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		tmpl.ExtKeyUsage, tmpl.IPAddresses = nil, nil
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyPEM(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}
