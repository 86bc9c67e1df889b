package natsembed

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/internal/syncbuf"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStartPublishRestart(t *testing.T) {
	dir := t.TempDir()
	var logs syncbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	srv, err := Start(Config{Listen: "127.0.0.1:0", StoreDir: dir, Logger: logger})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	url := srv.ClientURL()
	publishAndCount(t, url, 1)
	srv.Shutdown()

	if !strings.Contains(logs.String(), "level=DEBUG") || !strings.Contains(logs.String(), "component=nats-server") {
		t.Errorf("server notices not bridged to slog debug:\n%s", logs.String())
	}

	// Same store, same port: the stream and its message survive.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(url, "nats://"))
	srv, err = Start(Config{Listen: "127.0.0.1:" + port, StoreDir: dir})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer srv.Shutdown()
	publishAndCount(t, srv.ClientURL(), 2)
}

// publishAndCount publishes one message to stream S and checks it then holds want.
func publishAndCount(t *testing.T, url string, want uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatalf("create stream: %v", err)
	}
	if _, err := js.Publish(ctx, "s.x", []byte("hi")); err != nil {
		t.Fatalf("publish: %v", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != want {
		t.Fatalf("stream holds %d messages, want %d", info.State.Msgs, want)
	}
}

func TestStartErrors(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		cfg     Config
		wantErr error
		wantMsg string
	}{
		{name: "port taken", cfg: Config{Listen: taken.Addr().String(), StoreDir: t.TempDir()}, wantErr: ErrNotReady, wantMsg: "Error listening on port"},
		{name: "store dir is a file", cfg: Config{Listen: "127.0.0.1:0", StoreDir: file}, wantErr: ErrNotReady, wantMsg: "Can't start JetStream"},
		{name: "no store dir", cfg: Config{Listen: "127.0.0.1:0"}, wantErr: ErrInvalidConfig, wantMsg: "store dir: required"},
		{name: "bad listen", cfg: Config{Listen: "localhost", StoreDir: t.TempDir()}, wantErr: ErrInvalidConfig, wantMsg: "listen:"},
		{name: "bad port", cfg: Config{Listen: "127.0.0.1:http", StoreDir: t.TempDir()}, wantErr: ErrInvalidConfig, wantMsg: `invalid port "http"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := Start(tt.cfg)
			if err == nil {
				srv.Shutdown()
				t.Fatal("Start succeeded, want error")
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
		})
	}
}
