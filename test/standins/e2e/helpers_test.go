// Package e2e runs the stand-ins (built once in TestMain) against each other on 127.0.0.1 only.
package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"example.invalid/standins/internal/kesauth"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "standins-bin-")
	if err != nil {
		panic(err)
	}
	build := exec.Command("go", "build", "-o", dir+"/", "./cmd/kes", "./cmd/minio", "./cmd/mc")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building stand-ins failed: %v\n%s", err, out)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func bin(name string) string { return filepath.Join(binDir, name) }

// ---------- processes ----------

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type proc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	code int
}

// baseEnv is a minimal environment: no MINIO_*, MC_* or KES_* leaks in from the caller.
func baseEnv(t *testing.T) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
}

func start(t *testing.T, env []string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin(name), args...), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append(baseEnv(t), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop() })
	return p
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (p *proc) stop() {
	if !p.running() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// waitFor waits until the output matches re and returns the submatches.
func (p *proc) waitFor(t *testing.T, re string, d time.Duration) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(d)
	for {
		if m := rx.FindStringSubmatch(p.out.String()); m != nil {
			return m
		}
		if !p.running() {
			t.Fatalf("process exited (code %d) before printing %q:\n%s", p.code, re, p.out.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %q:\n%s", re, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitExit waits for the process to end and returns its exit code and output.
func (p *proc) waitExit(t *testing.T, d time.Duration) (int, string) {
	t.Helper()
	select {
	case <-p.done:
		return p.code, p.out.String()
	case <-time.After(d):
		t.Fatalf("process still running after %v:\n%s", d, p.out.String())
		return 0, ""
	}
}

// run runs a command to completion.
func run(t *testing.T, env []string, name string, args ...string) (int, string) {
	t.Helper()
	return start(t, env, name, args...).waitExit(t, 60*time.Second)
}

// runSplit runs a command and returns stdout and stderr separately.
func runSplit(t *testing.T, env []string, name string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin(name), args...)
	cmd.Env = append(baseEnv(t), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ---------- PKI ----------

type ca struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
	pool *x509.CertPool
}

func newCA(t *testing.T) *ca {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "stand-in test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &ca{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pool: pool}
}

type leaf struct {
	certPEM, keyPEM []byte
	tls             tls.Certificate
	identity        string
}

// issue makes a certificate signed by the CA. ips/dns become SANs.
func (c *ca) issue(t *testing.T, cn string, ips []string, dns []string) *leaf {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    dns,
	}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	l := &leaf{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	}
	if l.tls, err = tls.X509KeyPair(l.certPEM, l.keyPEM); err != nil {
		t.Fatal(err)
	}
	parsed, _ := x509.ParseCertificate(der)
	l.identity = kesauth.CertIdentity(parsed)
	return l
}

// ---------- KES fixture ----------

// The API key of kes-minio.md §2 and its identity: used as "the MinIO identity" in policies.
const (
	vectorAPIKey   = "kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8NAs"
	vectorIdentity = "ea9826089311fe44d7590408ede9150f7c637b6cab0a91ee6fe1aa5d9fb366f6"
)

type kesEnv struct {
	dir, caFile, certFile, keyFile, store string
	ca                                    *ca
	admin                                 *leaf
}

func newKESEnv(t *testing.T) *kesEnv {
	t.Helper()
	dir := t.TempDir()
	c := newCA(t)
	server := c.issue(t, "kes", []string{"127.0.0.1"}, nil)
	e := &kesEnv{dir: dir, ca: c, admin: c.issue(t, "admin", nil, nil), store: filepath.Join(dir, "keys")}
	e.caFile = writeFile(t, filepath.Join(dir, "ca.pem"), string(c.pem))
	e.certFile = writeFile(t, filepath.Join(dir, "server.cert"), string(server.certPEM))
	e.keyFile = writeFile(t, filepath.Join(dir, "server.key"), string(server.keyPEM))
	return e
}

// config renders a KES config; extra is appended as top-level YAML (policy, api, …).
func (e *kesEnv) config(t *testing.T, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`version: v1
address: 127.0.0.1:0
admin:
  identity: %s
tls:
  key: %s
  cert: %s
keystore:
  fs:
    path: %s
%s`, e.admin.identity, e.keyFile, e.certFile, e.store, extra)
	return writeFile(t, filepath.Join(e.dir, "config.yaml"), cfg)
}

// startKES starts KES from a config file and returns the process and "127.0.0.1:port".
func startKES(t *testing.T, configFile string, env ...string) (*proc, string) {
	t.Helper()
	p := start(t, env, "kes", "server", "--config", configFile)
	m := p.waitFor(t, `listening on https://(127\.0\.0\.1:\d+)`, 15*time.Second)
	return p, m[1]
}

func (e *kesEnv) client(cert *tls.Certificate) *http.Client {
	conf := &tls.Config{RootCAs: e.ca.pool}
	if cert != nil {
		conf.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: conf}}
}

func apiKeyCert(t *testing.T, key string) *tls.Certificate {
	t.Helper()
	k, err := kesauth.ParseAPIKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

// call sends one request and returns the status and body.
func call(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func expectStatus(t *testing.T, c *http.Client, method, url, body string, want int, wantBody string) string {
	t.Helper()
	got, data := call(t, c, method, url, body)
	if got != want || !strings.Contains(data, wantBody) {
		t.Fatalf("%s %s: got %d %q, want %d containing %q", method, url, got, data, want, wantBody)
	}
	return data
}
