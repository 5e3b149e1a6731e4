// KES STAND-IN for tests, not the real program.
//
// A small replacement for MinIO's KES server (which is archived and AGPL-3.0) that enforces the
// contract written down in /work/shared/reference/kes-minio.md: the config file (§1.1, §1.2), the
// CLI (§1.3 "Other CLI facts"), identities (§2) and the HTTP API with policies (§3). Only the
// fs keystore is implemented.
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"example.invalid/standins/internal/logx"
)

const banner = "kes STAND-IN for tests, not the real program"

var randRead = rand.Read

func usage(w io.Writer) {
	fmt.Fprintf(w, `%s

Usage:
  kes server --config FILE [--addr ADDR]

Flags (kes-minio.md §1.3 "Other CLI facts"):
  --config FILE   KES config file (YAML)
  --addr ADDR     listen address; overrides 'address' in the config
  --dev           not supported by the stand-in
  --key, --cert, --auth   deprecated: a warning is printed and the flag is ignored
`, banner)
}

func fatal(format string, args ...any) {
	logx.Printf("kes", "Error: "+format, args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(1)
	}
	switch os.Args[1] {
	case "-h", "--help", "help":
		usage(os.Stdout)
		return
	case "server":
	default:
		fmt.Fprintf(os.Stderr, "kes: unknown command %q\n\n", os.Args[1])
		usage(os.Stderr)
		os.Exit(1)
	}

	// §1.3: only --addr, --config, --dev and the deprecated --key/--cert/--auth exist; any
	// other flag (e.g. --mlock) is fatal.
	fs := flag.NewFlagSet("kes server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	configFile := fs.String("config", "", "")
	addr := fs.String("addr", "", "")
	dev := fs.Bool("dev", false, "")
	depKey := fs.String("key", "", "")
	depCert := fs.String("cert", "", "")
	depAuth := fs.String("auth", "", "")
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	if err := fs.Parse(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "Error: kes server: %v\n", err)
		os.Exit(1)
	}
	if *help {
		usage(os.Stdout)
		return
	}
	if fs.NArg() > 0 {
		fatal("kes server: unexpected argument %q", fs.Arg(0))
	}
	for name, v := range map[string]string{"--key": *depKey, "--cert": *depCert, "--auth": *depAuth} {
		if v != "" {
			logx.Printf("kes", "WARNING: '%s' flag is deprecated and no longer honored. Specify the option in the config file", name)
		}
	}
	if *dev {
		fatal("--dev mode is not supported by the stand-in")
	}
	if *configFile == "" {
		fatal("kes server: no config file specified (--config)")
	}

	cfg, err := loadConfig(*configFile)
	if err != nil {
		fatal("%v", err)
	}
	if *addr != "" {
		cfg.address = *addr
	}
	store, err := openFS(cfg.fsPath)
	if err != nil {
		fatal("kesconf: fs keystore: %v", err)
	}
	if len(cfg.keysToAdd) > 0 {
		logx.Printf("kes", "WARNING: 'keys' section ignored: tagged KES releases 2023-10-24..2025-03-12 do not create keys at startup (kes-minio.md §6 pitfall 4)")
	}

	srv := &server{started: time.Now()}
	srv.state.Store(&state{cfg: cfg, store: store})
	ln, err := net.Listen("tcp", cfg.address)
	if err != nil {
		fatal("failed to listen on %s: %v", cfg.address, err)
	}
	tlsLn := tls.NewListener(ln, &tls.Config{
		// Every handshake uses the current config, so SIGHUP reloads apply to new connections.
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return srv.state.Load().cfg.tls, nil },
	})
	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for sig := range sigs {
			if sig != syscall.SIGHUP {
				logx.Printf("kes", "received %v, shutting down", sig)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				httpSrv.Shutdown(ctx)
				cancel()
				return
			}
			// §1.3: the config is reloaded on SIGHUP (policy, admin, TLS cert, keystore).
			// The listen address is not changed by a reload.
			newCfg, err := loadConfig(*configFile)
			if err == nil {
				var st *fsStore
				if st, err = openFS(newCfg.fsPath); err == nil {
					newCfg.address = srv.state.Load().cfg.address
					srv.state.Store(&state{cfg: newCfg, store: st})
					logx.Printf("kes", "SIGHUP: configuration reloaded from %s", *configFile)
					continue
				}
			}
			logx.Printf("kes", "SIGHUP: failed to reload configuration, keeping the old one: %v", err)
		}
	}()

	logx.Printf("kes", "%s: listening on https://%s (admin %s, %d policy identities, fs keystore %s, client auth %v)",
		banner, ln.Addr(), cfg.admin, len(cfg.policies), cfg.fsPath, cfg.tls.ClientAuth)
	if err := httpSrv.Serve(tlsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fatal("%v", err)
	}
}
