// Command ferretdb runs an embedded FerretDB (MongoDB wire protocol on top of
// SQLite) for local development and tests of storefront, where no MongoDB is
// available.
//
// It uses the embeddable package github.com/FerretDB/FerretDB/ferretdb rather
// than FerretDB's own cmd/ferretdb: the latter panics at start when built via
// `go install` because build/version/version.txt is not part of the module.
// The embeddable package skips that check (our main module path differs) and
// always disables telemetry, so this binary makes no outbound connections.
//
// Usage:
//
//	ferretdb -listen-addr 127.0.0.1:27017 -sqlite-url file:/tmp/ferret/ [-log-level error]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	default:
		return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
	}
}

// sqliteDir extracts the directory of a `file:` SQLite URL and makes sure it
// exists; FerretDB refuses to start otherwise.
func sqliteDir(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parse -sqlite-url: %w", err)
	}
	if u.Scheme != "file" {
		return "", fmt.Errorf("-sqlite-url must start with file:, got %q", raw)
	}
	dir := u.Opaque
	if dir == "" {
		dir = u.Path
	}
	if dir == "" || !strings.HasSuffix(dir, "/") {
		return "", fmt.Errorf("-sqlite-url must name a directory ending with '/', got %q", raw)
	}
	if err := os.MkdirAll(filepath.Clean(dir), 0o755); err != nil {
		return "", fmt.Errorf("create sqlite dir: %w", err)
	}
	return dir, nil
}

func run() error {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite URI of the data directory (file:/dir/)")
	logLevel := flag.String("log-level", "error", "log level: debug, info, warn or error")
	flag.Parse()

	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flag.Args())
	}

	level, err := parseLevel(*logLevel)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	if _, err := sqliteDir(*sqliteURL); err != nil {
		return err
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	// Run blocks until ctx is canceled, then closes listener, connections and backend.
	if err := f.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}
