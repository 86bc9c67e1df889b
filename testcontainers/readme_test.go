package tgnats_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadmeDownstream runs the README's downstream example as a team
// would: copied into a module of its own outside this repository, built
// against this module, with the image built by BuildImage from the
// source. Nothing else is set up for it.
func TestReadmeDownstream(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the downstream example builds and runs a module of its own")
	}
	images(t) // skips without an engine; the child then finds the image built
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	code := readmeBlock(t, string(readme), "<!-- downstream-example -->")
	src, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	module, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/mysvc\n\ngo 1.24.0\n\n" +
		"require github.com/tgnats/tgnats/testcontainers v0.0.0-00010101000000-000000000000\n\n" +
		"replace github.com/tgnats/tgnats/testcontainers => " + module + "\n"
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "mysvc_test.go": []byte(code)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = dir
		// Only what the module cache holds: the example needs nothing
		// new (-mod=mod completes go.mod from this module's requirements).
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "TGNATS_SRC="+src)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	out := run("test", "-count=1", "-v", "./...")
	if !strings.Contains(out, "--- PASS: TestBotAnswers") {
		t.Fatalf("the example's test did not pass:\n%s", out)
	}
}

// readmeBlock returns the Go code block that follows marker.
func readmeBlock(t *testing.T, readme, marker string) string {
	t.Helper()
	_, after, ok := strings.Cut(readme, marker)
	if !ok {
		t.Fatalf("README has no %s", marker)
	}
	_, after, ok = strings.Cut(after, "```go\n")
	if !ok {
		t.Fatalf("no Go block after %s", marker)
	}
	code, _, ok := strings.Cut(after, "\n```")
	if !ok {
		t.Fatalf("unterminated Go block after %s", marker)
	}
	return code + "\n"
}
