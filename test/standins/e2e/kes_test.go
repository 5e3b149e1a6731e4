package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The MinIO identity's policy used in several tests (kes-minio.md §1.1 policy matching).
const minioPolicy = `policy:
  minio:
    allow:
    - /v1/key/create/minio-*
    - /v1/key/generate/minio-*
    - /v1/key/decrypt/minio-*
    - /v1/key/describe/minio-exact
    - /v1/status
    deny:
    - /v1/key/generate/minio-secret*
    identities:
    - ` + vectorIdentity + `
`

type dataKey struct {
	Plaintext  []byte `json:"plaintext"`
	Ciphertext []byte `json:"ciphertext"`
}

func TestKESPolicyKeysAndPersistence(t *testing.T) {
	e := newKESEnv(t)
	cfg := e.config(t, minioPolicy)
	p, addr := startKES(t, cfg)
	base := "https://" + addr
	admin := e.client(&e.admin.tls)
	minio := e.client(apiKeyCert(t, vectorAPIKey)) // identity = vectorIdentity (§2)
	strangerLeaf := e.ca.issue(t, "stranger", nil, nil)
	stranger := e.client(&strangerLeaf.tls)
	const denied = "not authorized: insufficient permissions"

	// §3: /version needs no policy, but the handshake still needs a client cert (§6 pitfall 13).
	expectStatus(t, stranger, "GET", base+"/version", "", 200, "version")
	if _, err := e.client(nil).Get(base + "/version"); err == nil {
		t.Fatal("request without client certificate succeeded; want a TLS handshake failure (tls.auth off = RequireAnyClientCert)")
	}

	// Create: allowed by prefix, 400 when it exists, 403 outside the prefix (§1.1, §3).
	expectStatus(t, minio, "POST", base+"/v1/key/create/minio-a", "", 200, "")
	expectStatus(t, minio, "PUT", base+"/v1/key/create/minio-a", "", 400, "key already exists")
	expectStatus(t, minio, "POST", base+"/v1/key/create/other", "", 403, denied)

	// Generate / decrypt with context; tamper and wrong context are not authentic (§3).
	ctx := base64.StdEncoding.EncodeToString([]byte(`{"bucket":"b"}`))
	body := expectStatus(t, minio, "POST", base+"/v1/key/generate/minio-a", `{"context":"`+ctx+`"}`, 200, "ciphertext")
	var dk dataKey
	if err := json.Unmarshal([]byte(body), &dk); err != nil || len(dk.Plaintext) != 32 {
		t.Fatalf("generate answer %q: %v", body, err)
	}
	ct := base64.StdEncoding.EncodeToString(dk.Ciphertext)
	body = expectStatus(t, minio, "POST", base+"/v1/key/decrypt/minio-a", `{"ciphertext":"`+ct+`","context":"`+ctx+`"}`, 200, "plaintext")
	var pt struct{ Plaintext []byte }
	json.Unmarshal([]byte(body), &pt)
	if string(pt.Plaintext) != string(dk.Plaintext) {
		t.Fatal("decrypt returned a different plaintext")
	}
	expectStatus(t, minio, "POST", base+"/v1/key/decrypt/minio-a", `{"ciphertext":"`+ct+`"}`, 400, "decryption failed: ciphertext is not authentic")
	tampered := append([]byte{}, dk.Ciphertext...)
	tampered[len(tampered)-1] ^= 1
	expectStatus(t, minio, "POST", base+"/v1/key/decrypt/minio-a",
		`{"ciphertext":"`+base64.StdEncoding.EncodeToString(tampered)+`","context":"`+ctx+`"}`, 400, "decryption failed: ciphertext is not authentic")
	expectStatus(t, minio, "POST", base+"/v1/key/generate/minio-missing", `{}`, 404, "key does not exist")

	// Deny wins over a matching allow; a pattern without '*' is exact (§1.1).
	expectStatus(t, admin, "POST", base+"/v1/key/create/minio-secret-1", "", 200, "")
	expectStatus(t, minio, "POST", base+"/v1/key/generate/minio-secret-1", `{}`, 403, denied)
	expectStatus(t, admin, "POST", base+"/v1/key/generate/minio-secret-1", `{}`, 200, "plaintext") // admin: no policy
	expectStatus(t, admin, "POST", base+"/v1/key/create/minio-exact", "", 200, "")
	expectStatus(t, admin, "POST", base+"/v1/key/create/minio-exactly", "", 200, "")
	expectStatus(t, minio, "GET", base+"/v1/key/describe/minio-exact", "", 200, `"name":"minio-exact"`)
	expectStatus(t, minio, "GET", base+"/v1/key/describe/minio-exactly", "", 403, denied)
	expectStatus(t, minio, "GET", base+"/v1/status", "", 200, "")
	expectStatus(t, minio, "GET", base+"/v1/metrics", "", 403, denied)
	expectStatus(t, minio, "DELETE", base+"/v1/key/delete/minio-a", "", 403, denied)

	// An identity in no policy is denied everything that needs a policy.
	expectStatus(t, stranger, "GET", base+"/v1/status", "", 403, denied)
	expectStatus(t, stranger, "POST", base+"/v1/key/generate/minio-a", `{}`, 403, denied)

	// Key names (§3, §6 pitfall 10).
	for _, bad := range []string{"minio.key", "-abc", "abc-", "_", strings.Repeat("a", 81), "a%20b"} {
		expectStatus(t, admin, "POST", base+"/v1/key/create/"+bad, "", 400, "")
	}
	expectStatus(t, admin, "POST", base+"/v1/key/create/"+strings.Repeat("a", 80), "", 200, "")
	expectStatus(t, admin, "POST", base+"/v1/key/create/a_b-C9", "", 200, "")

	// List, describe, delete, other read routes.
	body = expectStatus(t, admin, "GET", base+"/v1/key/list/minio-*", "", 200, "minio-a")
	if strings.Contains(body, "a_b-C9") {
		t.Fatalf("list with prefix minio- returned %s", body)
	}
	expectStatus(t, admin, "GET", base+"/v1/metrics", "", 200, "kes_http_request_total")
	expectStatus(t, admin, "GET", base+"/v1/api", "", 200, "/v1/key/generate/")
	expectStatus(t, admin, "DELETE", base+"/v1/key/delete/a_b-C9", "", 200, "")
	expectStatus(t, admin, "GET", base+"/v1/key/describe/a_b-C9", "", 404, "key does not exist")
	expectStatus(t, admin, "GET", base+"/v1/key/generate/minio-a", "", 405, "")

	// Stand-in knob: a .sealed file makes /v1/ready answer 504 and key operations fail (§6 pitfall 7).
	expectStatus(t, admin, "GET", base+"/v1/ready", "", 200, "")
	sealed := writeFile(t, filepath.Join(e.store, ".sealed"), "")
	expectStatus(t, admin, "GET", base+"/v1/ready", "", 504, "sealed")
	expectStatus(t, minio, "POST", base+"/v1/key/generate/minio-a", `{}`, 504, "sealed")
	os.Remove(sealed)
	expectStatus(t, admin, "GET", base+"/v1/ready", "", 200, "")

	// One log line per request, with the identity.
	if !strings.Contains(p.out.String(), vectorIdentity+" POST /v1/key/create/other 403") {
		t.Fatalf("request log line missing:\n%s", p.out.String())
	}

	// Keys survive a restart (fs keystore, §1.2).
	p.stop()
	_, addr = startKES(t, cfg)
	expectStatus(t, minio, "POST", "https://"+addr+"/v1/key/decrypt/minio-a", `{"ciphertext":"`+ct+`","context":"`+ctx+`"}`, 200, "plaintext")
}

func TestKESSkipAuthRelaxesHandshake(t *testing.T) {
	e := newKESEnv(t)
	_, addr := startKES(t, e.config(t, "api:\n  /v1/ready:\n    skip_auth: true\n    timeout: 15s\n"+minioPolicy))
	anon := e.client(nil)
	// §1.1 / §6 pitfall 13: skip_auth lets probes in without a certificate …
	expectStatus(t, anon, "GET", "https://"+addr+"/v1/ready", "", 200, "")
	// … and the other routes still need an identity.
	if code, _ := call(t, anon, "GET", "https://"+addr+"/v1/status", ""); code == 200 {
		t.Fatal("/v1/status served without a client certificate")
	}
	if code, _ := call(t, anon, "POST", "https://"+addr+"/v1/key/create/minio-x", ""); code == 200 {
		t.Fatal("key created without a client certificate")
	}
	expectStatus(t, e.client(apiKeyCert(t, vectorAPIKey)), "GET", "https://"+addr+"/v1/status", "", 200, "")
}

func TestKESSIGHUPReloadsPolicy(t *testing.T) {
	e := newKESEnv(t)
	cfg := e.config(t, "policy:\n  minio:\n    allow: [/v1/status]\n    identities: ["+vectorIdentity+"]\n")
	p, addr := startKES(t, cfg)
	minio := e.client(apiKeyCert(t, vectorAPIKey))
	url := "https://" + addr + "/v1/key/create/minio-hup"
	expectStatus(t, minio, "POST", url, "", 403, "insufficient permissions")

	e.config(t, "policy:\n  minio:\n    allow: [/v1/status, /v1/key/create/minio-*]\n    identities: ["+vectorIdentity+"]\n")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitFor(t, "configuration reloaded", 5*time.Second)
	expectStatus(t, minio, "POST", url, "", 200, "")

	// A broken config on SIGHUP keeps the old one.
	writeFile(t, cfg, "admin: {identity: \"\"}\n")
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "failed to reload configuration", 5*time.Second)
	expectStatus(t, minio, "POST", "https://"+addr+"/v1/key/create/minio-hup2", "", 200, "")
}

func TestKESEnvSubstitutionAndDeprecatedFlags(t *testing.T) {
	e := newKESEnv(t)
	cfg := strings.Replace(readFile(t, e.config(t, "")), e.admin.identity, "${KES_ADMIN_ID}", 1)
	writeFile(t, filepath.Join(e.dir, "config.yaml"), cfg)
	p := start(t, []string{"KES_ADMIN_ID=" + e.admin.identity}, "kes", "server", "--config", filepath.Join(e.dir, "config.yaml"),
		"--auth", "off", "--addr", "127.0.0.1:0")
	m := p.waitFor(t, `listening on https://(127\.0\.0\.1:\d+)`, 10*time.Second)
	if !strings.Contains(p.out.String(), "'--auth' flag is deprecated") {
		t.Fatalf("no deprecation warning for --auth:\n%s", p.out.String())
	}
	// The admin identity came from the environment: the admin may create keys.
	expectStatus(t, e.client(&e.admin.tls), "POST", "https://"+m[1]+"/v1/key/create/from-env", "", 200, "")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Each config or CLI error of kes-minio.md §1.1–§1.3 makes `kes server` exit 1 with a message.
func TestKESConfigErrors(t *testing.T) {
	e := newKESEnv(t)
	c := e.ca.issue(t, "nosan", nil, nil)
	noSANCert := writeFile(t, filepath.Join(e.dir, "nosan.cert"), string(c.certPEM))
	noSANKey := writeFile(t, filepath.Join(e.dir, "nosan.key"), string(c.keyPEM))
	valid := readFile(t, e.config(t, ""))
	adminLine := "identity: " + e.admin.identity
	other := e.ca.issue(t, "x", nil, nil).identity

	cases := []struct {
		name, config string
		args         []string
		want         string
	}{
		{"root instead of admin", strings.Replace(valid, "admin:\n  "+adminLine, "root: "+e.admin.identity, 1), nil, "no admin identity"},
		{"empty admin", strings.Replace(valid, adminLine, `identity: ""`, 1), nil, "no admin identity"},
		{"unset env var", strings.Replace(valid, adminLine, "identity: ${KES_TEST_UNSET_VARIABLE}", 1), nil,
			"referenced env. variable 'KES_TEST_UNSET_VARIABLE' not found"},
		{"version v2", strings.Replace(valid, "version: v1", "version: v2", 1), nil, "invalid config version"},
		{"no keystore", strings.Split(valid, "keystore:")[0], nil, "no keystore specified"},
		{"kes keystore is not wired", strings.Split(valid, "keystore:")[0] + "keystore:\n  kes:\n    endpoint: [https://127.0.0.1:7373]\n", nil, "no keystore specified"},
		{"two keystores", valid + "  vault:\n    endpoint: https://127.0.0.1:8200\n", nil, "more than once keystore specified"},
		{"vault only", strings.Split(valid, "keystore:")[0] + "keystore:\n  vault:\n    endpoint: https://127.0.0.1:8200\n", nil, "supports only the fs keystore"},
		{"fs without path", strings.Split(valid, "keystore:")[0] + "keystore:\n  fs:\n    path: \"\"\n", nil, "no path specified"},
		{"no tls key", strings.Replace(valid, "  key: "+e.keyFile+"\n", "", 1), nil, "no private key"},
		{"no tls cert", strings.Replace(valid, "  cert: "+e.certFile+"\n", "", 1), nil, "no certificate"},
		{"cert without SAN", strings.Replace(strings.Replace(valid, e.certFile, noSANCert, 1), e.keyFile, noSANKey, 1), nil, "SAN"},
		{"invalid tls.auth", strings.Replace(valid, "tls:\n", "tls:\n  auth: maybe\n", 1), nil, "invalid tls auth"},
		{"admin in a policy", valid + "policy:\n  p:\n    allow: [/v1/status]\n    identities: [" + e.admin.identity + "]\n", nil, "is the admin identity"},
		{"identity in two policies", valid + "policy:\n  p1:\n    identities: [" + other + "]\n  p2:\n    identities: [" + other + "]\n", nil, "already assigned"},
		{"duplicate keys entry", valid + "keys:\n- name: k1\n- name: k1\n", nil, "more than once"},
		{"invalid cache duration", valid + "cache:\n  expiry:\n    any: soon\n", nil, "invalid cache expiry"},
		{"unknown flag --mlock", valid, []string{"--mlock"}, "flag provided but not defined: -mlock"},
		{"--dev unsupported", valid, []string{"--dev"}, "--dev mode is not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeFile(t, filepath.Join(t.TempDir(), "config.yaml"), tc.config)
			code, out := run(t, nil, "kes", append([]string{"server", "--config", cfg}, tc.args...)...)
			if code != 1 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, output:\n%s\nwant exit 1 with %q", code, out, tc.want)
			}
		})
	}
	t.Run("no --config", func(t *testing.T) {
		if code, out := run(t, nil, "kes", "server"); code != 1 || !strings.Contains(out, "no config file") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})
	t.Run("unknown keys are ignored", func(t *testing.T) {
		cfg := writeFile(t, filepath.Join(t.TempDir(), "config.yaml"), valid+"approle_leftover:\n  retry: 15s\n")
		startKES(t, cfg)
	})
	t.Run("help is labelled", func(t *testing.T) {
		if code, out := run(t, nil, "kes", "--help"); code != 0 || !strings.Contains(out, "STAND-IN for tests, not the real program") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})
}

// tls.auth: on → RequireAndVerifyClientCert: a CA-issued cert passes, the self-signed API-key
// cert that MinIO presents does not (kes-minio.md §1.1, §2 "Consequence", §6 pitfall 3).
func TestKESAuthOnRejectsAPIKeyCert(t *testing.T) {
	e := newKESEnv(t)
	cfg := strings.Replace(readFile(t, e.config(t, minioPolicy)), "tls:\n", "tls:\n  auth: on\n  ca: "+e.caFile+"\n", 1)
	_, addr := startKES(t, writeFile(t, filepath.Join(e.dir, "config.yaml"), cfg))
	expectStatus(t, e.client(&e.admin.tls), "GET", "https://"+addr+"/v1/status", "", 200, "")
	if _, err := e.client(apiKeyCert(t, vectorAPIKey)).Get("https://" + addr + "/v1/status"); err == nil {
		t.Fatal("self-signed API key certificate accepted with tls.auth: on")
	}
}
