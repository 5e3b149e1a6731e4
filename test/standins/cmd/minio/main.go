// MinIO STAND-IN for tests, not the real program.
//
// A small replacement for `minio server` (MinIO is archived and AGPL-3.0) that enforces the
// contract of /work/shared/reference/kes-minio.md: the volume arguments and environment (§4.1,
// §4.2), the KES connection and its startup check (§2, §6 pitfall 1), the distributed env check
// (§4.2), health probes, systemd readiness (§4.3 Type=notify) and a minimal S3/KMS surface for the
// mc stand-in (§5).
package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"example.invalid/standins/internal/logx"
)

const banner = "minio STAND-IN for tests, not the real program"

func usage(w io.Writer) {
	fmt.Fprintf(w, `%s

Usage:
  minio server [--address :9000] [--console-address :9001] [--certs-dir DIR] [--quiet] [VOLUMES...]

With no VOLUMES, MINIO_ARGS, MINIO_VOLUMES, then MINIO_ENDPOINTS are read (kes-minio.md §4.2).
Also accepted, as upstream global flags: --json, --anonymous (no effect here).
Stand-in-only knob: STANDIN_MINIO_BOOTSTRAP_TIMEOUT (Go duration, default 2m) bounds the wait
for peers in a distributed setup.
`, banner)
}

func fatal(format string, args ...any) {
	logx.Printf("minio", "FATAL "+format, args...)
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
		fmt.Fprintf(os.Stderr, "minio: '%s' is not a minio sub-command (stand-in supports only 'server')\n", os.Args[1])
		os.Exit(1)
	}
	home, _ := os.UserHomeDir()
	fs := flag.NewFlagSet("minio server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	address := fs.String("address", ":9000", "")
	console := fs.String("console-address", "", "")
	certsDir := fs.String("certs-dir", filepath.Join(home, ".minio", "certs"), "")
	fs.StringVar(certsDir, "S", filepath.Join(home, ".minio", "certs"), "")
	fs.Bool("quiet", false, "")
	fs.Bool("json", false, "")
	fs.Bool("anonymous", false, "")
	help := fs.Bool("help", false, "")
	if err := fs.Parse(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "FATAL minio server: %v\n", err) // unknown flags are fatal
		os.Exit(1)
	}
	if *help {
		usage(os.Stdout)
		return
	}

	// §4.2 MINIO_CONFIG_ENV_FILE: an env file MinIO reads itself; its values override.
	if f := os.Getenv("MINIO_CONFIG_ENV_FILE"); f != "" {
		if err := loadEnvFile(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			fatal("Unable to read MINIO_CONFIG_ENV_FILE %s: %v", f, err)
		}
	}

	_, port, err := net.SplitHostPort(*address)
	if err != nil {
		fatal("Invalid --address %q: %v", *address, err)
	}
	args, err := volumeArgs(fs.Args())
	if err != nil {
		fatal("%v", err)
	}
	eps, err := parseEndpoints(args, port)
	if err != nil {
		fatal("Unable to prepare the list of endpoints: %v", err)
	}

	user, pass, err := rootCredentials()
	if err != nil {
		fatal("%v", err)
	}

	autoEnc := false
	switch v := strings.ToLower(os.Getenv("MINIO_KMS_AUTO_ENCRYPTION")); v {
	case "", "off":
	case "on":
		autoEnc = true
	default:
		fatal("Invalid MINIO_KMS_AUTO_ENCRYPTION value %q: want on or off", v)
	}
	k, err := kmsFromEnv(*certsDir)
	if err != nil {
		fatal("Unable to load KMS configuration: %v", err)
	}
	if autoEnc && k == nil {
		fatal("MINIO_KMS_AUTO_ENCRYPTION requires a KMS configuration") // §4.1
	}
	if k != nil {
		if err := k.initDefaultKey(); err != nil {
			fatal("Failed to connect to KMS: %v", err) // §6 pitfall 1
		}
	}

	var drive string
	for _, ep := range eps {
		if !ep.local {
			continue
		}
		if err := checkDrive(ep.path); err != nil {
			fatal("Unable to use the drive: %v", err)
		}
		if drive == "" {
			drive = ep.path
		}
	}

	srv := &server{rootUser: user, rootPassword: pass, kms: k, autoEncrypt: autoEnc, drive: drive}
	var tlsConf *tls.Config
	scheme := "http"
	if cert, err := tls.LoadX509KeyPair(filepath.Join(*certsDir, "public.crt"), filepath.Join(*certsDir, "private.key")); err == nil {
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	ln, err := listen(*address, tlsConf)
	if err != nil {
		fatal("Unable to listen on %s: %v", *address, err)
	}
	go http.Serve(ln, srv)
	if *console != "" {
		cln, err := listen(*console, tlsConf)
		if err != nil {
			fatal("Unable to listen on console address %s: %v", *console, err)
		}
		go http.Serve(cln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "MinIO console STAND-IN\n")
		}))
	}

	timeout := 2 * time.Minute
	if v := os.Getenv("STANDIN_MINIO_BOOTSTRAP_TIMEOUT"); v != "" {
		if timeout, err = time.ParseDuration(v); err != nil {
			fatal("STANDIN_MINIO_BOOTSTRAP_TIMEOUT: %v", err)
		}
	}
	peerTLS := &tls.Config{}
	if pool, err := loadCAs(filepath.Join(*certsDir, "CAs"), false); err == nil {
		peerTLS.RootCAs = pool
	}
	if err := verifyPeers(eps, peerTLS, timeout); err != nil {
		fatal("%v", err)
	}
	srv.ready.Store(true)

	kmsDesc := "none"
	if k != nil {
		kmsDesc = fmt.Sprintf("KES %v, default key %s", k.client.Endpoints, k.defaultKey)
	}
	logx.Printf("minio", "%s: API: %s://%s (drives: %d local of %d, pools: %d, data in %s, KMS: %s)", banner, scheme, ln.Addr(), countLocal(eps), len(eps), pools(args), drive, kmsDesc)
	if err := sdNotify("READY=1"); err != nil {
		logx.Printf("minio", "WARNING: sd_notify: %v", err)
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	logx.Printf("minio", "received %v, exiting", <-sigs)
}

func countLocal(eps []endpoint) int {
	n := 0
	for _, ep := range eps {
		if ep.local {
			n++
		}
	}
	return n
}

func listen(addr string, tlsConf *tls.Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil || tlsConf == nil {
		return ln, err
	}
	return tls.NewListener(ln, tlsConf), nil
}

// rootCredentials: MINIO_ROOT_USER (≥ 3 chars) and MINIO_ROOT_PASSWORD (≥ 8 chars), or their
// _FILE variants; the deprecated MINIO_ACCESS_KEY/MINIO_SECRET_KEY work with a warning (§4.2).
// The stand-in requires them (upstream falls back to minioadmin/minioadmin with a warning, or to
// KMS-derived credentials [unverified]: a deployment should never rely on that).
func rootCredentials() (string, string, error) {
	get := func(name string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		if f := os.Getenv(name + "_FILE"); f != "" {
			if data, err := os.ReadFile(f); err == nil {
				return strings.TrimSpace(string(data))
			}
		}
		return ""
	}
	user, pass := get("MINIO_ROOT_USER"), get("MINIO_ROOT_PASSWORD")
	if user == "" && pass == "" {
		if user, pass = get("MINIO_ACCESS_KEY"), get("MINIO_SECRET_KEY"); user != "" || pass != "" {
			logx.Printf("minio", "WARNING: MINIO_ACCESS_KEY and MINIO_SECRET_KEY are deprecated. Please use MINIO_ROOT_USER and MINIO_ROOT_PASSWORD")
		}
	}
	switch {
	case user == "" || pass == "":
		return "", "", errors.New("Unable to validate credentials inherited from the shell environment: MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must both be set (required by the stand-in)")
	case len(user) < 3:
		return "", "", errors.New("Unable to validate credentials inherited from the shell environment: Invalid credentials: access key length should be at least 3 characters")
	case len(pass) < 8:
		return "", "", errors.New("Unable to validate credentials inherited from the shell environment: Invalid credentials: secret key length should be at least 8 characters")
	}
	return user, pass, nil
}

// loadEnvFile reads KEY=VALUE lines (optionally "export ", optionally quoted) into the environment.
func loadEnvFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			return fmt.Errorf("invalid line %q", line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		os.Setenv(strings.TrimSpace(k), v)
	}
	return sc.Err()
}

// sdNotify sends a state to systemd when NOTIFY_SOCKET is set (Type=notify, §4.3). A name that
// starts with '@' is an abstract socket; Go maps it.
func sdNotify(state string) error {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}
