package e2e

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Policy for the MinIO identity as the MinIO docs give it (kes-minio.md §3), plus describe.
const minioFullPolicy = `policy:
  minio:
    allow:
    - /v1/key/create/*
    - /v1/key/generate/*
    - /v1/key/decrypt/*
    - /v1/key/describe/*
    - /v1/key/list/*
    - /v1/status
    - /v1/metrics
    identities:
    - ` + vectorIdentity + `
`

// minioEnv is a valid environment for the MinIO stand-in talking to KES at kesAddr with the
// §2 vector API key.
func minioEnv(e *kesEnv, kesAddr string) []string {
	return []string{
		"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=pa/ss%2Fword1",
		"MINIO_KMS_KES_ENDPOINT= https://" + kesAddr + " ", // entries are trimmed (§4.1)
		"MINIO_KMS_KES_KEY_NAME=minio-default",
		"MINIO_KMS_KES_API_KEY=" + vectorAPIKey,
		"MINIO_KMS_KES_CAPATH=" + e.caFile,
	}
}

func without(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		keep := true
		for _, n := range names {
			keep = keep && !strings.HasPrefix(kv, n+"=")
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// startMinIO starts `minio server` and returns the process and its API base URL.
func startMinIO(t *testing.T, env []string, args ...string) (*proc, string) {
	t.Helper()
	p := start(t, env, "minio", append([]string{"server", "--address", "127.0.0.1:0", "--certs-dir", filepath.Join(t.TempDir(), "certs")}, args...)...)
	m := p.waitFor(t, `API: (https?://127\.0\.0\.1:\d+)`, 20*time.Second)
	return p, m[1]
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestMinIOStartsAgainstKES(t *testing.T) {
	e := newKESEnv(t)
	kes, kesAddr := startKES(t, e.config(t, minioFullPolicy))

	// systemd readiness (Type=notify): READY=1 on NOTIFY_SOCKET.
	sockPath := filepath.Join(t.TempDir(), "notify.sock")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()

	drive := t.TempDir()
	p, api := startMinIO(t, append(minioEnv(e, kesAddr), "NOTIFY_SOCKET="+sockPath), drive)
	sock.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 256)
	n, err := sock.Read(buf)
	if err != nil || string(buf[:n]) != "READY=1" {
		t.Fatalf("sd_notify: got %q, %v", buf[:n], err)
	}

	// §6 pitfall 1: generate on the default key → not found → create.
	if !strings.Contains(p.out.String(), `default key "minio-default" not found, creating it`) {
		t.Fatalf("MinIO did not create the default key:\n%s", p.out.String())
	}
	expectStatus(t, e.client(&e.admin.tls), "GET", "https://"+kesAddr+"/v1/key/describe/minio-default", "", 200, vectorIdentity)

	if got := httpStatus(t, api+"/minio/health/live"); got != 200 {
		t.Fatalf("live: %d", got)
	}
	if got := httpStatus(t, api+"/minio/health/ready"); got != 200 {
		t.Fatalf("ready: %d", got)
	}
	// Readiness depends on KES (§6 pitfall 1).
	kes.stop()
	if got := httpStatus(t, api+"/minio/health/ready"); got != 503 {
		t.Fatalf("ready with KES down: %d, want 503", got)
	}
	if got := httpStatus(t, api+"/minio/health/live"); got != 200 {
		t.Fatalf("live with KES down: %d", got)
	}
	// A restart finds the existing default key.
	p.stop()
	_, kesAddr2 := startKES(t, e.config(t, minioFullPolicy))
	p2, _ := startMinIO(t, minioEnv(e, kesAddr2), drive)
	if strings.Contains(p2.out.String(), "creating it") {
		t.Fatal("default key created twice")
	}
}

func TestMinIOPermissionErrorIgnoredAtStartup(t *testing.T) {
	e := newKESEnv(t)
	// The identity has no policy at all: generate answers 403, which MinIO ignores at startup
	// (§6 pitfall 5); readiness then fails.
	_, kesAddr := startKES(t, e.config(t, ""))
	p, api := startMinIO(t, minioEnv(e, kesAddr), t.TempDir())
	if !strings.Contains(p.out.String(), "insufficient permissions") {
		t.Fatalf("no warning:\n%s", p.out.String())
	}
	if got := httpStatus(t, api+"/minio/health/ready"); got != 503 {
		t.Fatalf("ready: %d, want 503", got)
	}
}

func TestMinIOFailsWhenKESUnreachable(t *testing.T) {
	e := newKESEnv(t)
	env := minioEnv(e, "127.0.0.1:"+freePort(t)) // nothing listens there
	code, out := run(t, env, "minio", "server", "--address", "127.0.0.1:0", t.TempDir())
	if code != 1 || !strings.Contains(out, "Failed to connect to KMS") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// The CA must come from MINIO_KMS_KES_CAPATH (§4.1); MINIO_KMS_KES_CA_PATH is ignored (§6 pitfall
// 11), and the endpoint host must match a SAN (§6 pitfall 2).
func TestMinIOTrustAndHostnameChecks(t *testing.T) {
	e := newKESEnv(t)
	_, kesAddr := startKES(t, e.config(t, minioFullPolicy))
	base := minioEnv(e, kesAddr)

	t.Run("wrong CA variable name", func(t *testing.T) {
		env := append(without(base, "MINIO_KMS_KES_CAPATH"), "MINIO_KMS_KES_CA_PATH="+e.caFile)
		code, out := run(t, env, "minio", "server", "--address", "127.0.0.1:0", "--certs-dir", t.TempDir(), t.TempDir())
		if code != 1 || !strings.Contains(out, "Failed to connect to KMS") || !strings.Contains(out, "certificate") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("CA in certs-dir/CAs is the default", func(t *testing.T) {
		certs := t.TempDir()
		writeFile(t, filepath.Join(certs, "CAs", "kes-ca.pem"), string(e.ca.pem))
		p := start(t, without(base, "MINIO_KMS_KES_CAPATH"), "minio", "server", "--address", "127.0.0.1:0", "--certs-dir", certs, t.TempDir())
		p.waitFor(t, `API: http://`, 20*time.Second)
	})
	t.Run("host not in SANs", func(t *testing.T) {
		_, port, _ := net.SplitHostPort(kesAddr)
		env := append(without(base, "MINIO_KMS_KES_ENDPOINT"), "MINIO_KMS_KES_ENDPOINT=https://localhost:"+port)
		code, out := run(t, env, "minio", "server", "--address", "127.0.0.1:0", t.TempDir())
		if code != 1 || !strings.Contains(out, "Failed to connect to KMS") || !strings.Contains(out, "localhost") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("client certificate instead of an API key", func(t *testing.T) {
		// §4.1 MINIO_KMS_KES_CERT_FILE + MINIO_KMS_KES_KEY_FILE; here the admin's pair.
		certFile := writeFile(t, filepath.Join(t.TempDir(), "client.cert"), string(e.admin.certPEM))
		keyFile := writeFile(t, filepath.Join(t.TempDir(), "client.key"), string(e.admin.keyPEM))
		env := append(without(base, "MINIO_KMS_KES_API_KEY"), "MINIO_KMS_KES_CERT_FILE="+certFile, "MINIO_KMS_KES_KEY_FILE="+keyFile)
		startMinIO(t, env, t.TempDir())
	})
	t.Run("second endpoint used when the first is down", func(t *testing.T) {
		env := append(without(base, "MINIO_KMS_KES_ENDPOINT"), "MINIO_KMS_KES_ENDPOINT=https://127.0.0.1:"+freePort(t)+", https://"+kesAddr)
		startMinIO(t, env, t.TempDir())
	})
}

// Environment and argument validation (§4.1, §4.2): each case exits 1 with a message.
func TestMinIOEnvValidation(t *testing.T) {
	e := newKESEnv(t)
	base := minioEnv(e, "127.0.0.1:1") // validation fails before any connection
	certFile := writeFile(t, filepath.Join(e.dir, "client.cert"), string(e.admin.certPEM))
	keyFile := writeFile(t, filepath.Join(e.dir, "client.key"), string(e.admin.keyPEM))
	drive := t.TempDir()
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"no key name", without(base, "MINIO_KMS_KES_KEY_NAME"), nil, "MINIO_KMS_KES_KEY_NAME is required"},
		{"no endpoint", without(base, "MINIO_KMS_KES_ENDPOINT"), nil, "MINIO_KMS_KES_ENDPOINT is required"},
		{"http endpoint", append(without(base, "MINIO_KMS_KES_ENDPOINT"), "MINIO_KMS_KES_ENDPOINT=http://127.0.0.1:7373"), nil, "https://"},
		{"api key and cert", append(base, "MINIO_KMS_KES_CERT_FILE="+certFile, "MINIO_KMS_KES_KEY_FILE="+keyFile), nil, "mutually exclusive"},
		{"cert without key", append(without(base, "MINIO_KMS_KES_API_KEY"), "MINIO_KMS_KES_CERT_FILE="+certFile), nil,
			"both MINIO_KMS_KES_CERT_FILE and MINIO_KMS_KES_KEY_FILE are required"},
		{"no credentials", without(base, "MINIO_KMS_KES_API_KEY"), nil, "no KES client credentials"},
		{"invalid api key", append(without(base, "MINIO_KMS_KES_API_KEY"), "MINIO_KMS_KES_API_KEY=kes:v1:sbDvZFqUPFFwxRS4EkuoEb2nyyInkdKSUEYHXFHeTouW"), nil,
			"invalid MINIO_KMS_KES_API_KEY"},
		{"KES and static key", append(base, "MINIO_KMS_SECRET_KEY=k:"+strings.Repeat("A", 44)), nil, "KES and static KMS key is present"},
		{"short root user", append(without(base, "MINIO_ROOT_USER"), "MINIO_ROOT_USER=ab"), nil, "access key length should be at least 3"},
		{"short root password", append(without(base, "MINIO_ROOT_PASSWORD"), "MINIO_ROOT_PASSWORD=1234567"), nil, "secret key length should be at least 8"},
		{"no root credentials", without(base, "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"), nil, "MINIO_ROOT_USER and MINIO_ROOT_PASSWORD"},
		{"auto encryption without KMS", []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=password1", "MINIO_KMS_AUTO_ENCRYPTION=on"}, nil, "requires a KMS"},
		{"no volumes", base, []string{}, "no volumes"},
		{"missing drive", []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=password1"}, []string{filepath.Join(drive, "missing")}, "Unable to use the drive"},
		{"unknown flag", base, []string{"--mlock", drive}, "flag provided but not defined: -mlock"},
		{"mixed endpoints", base, []string{drive, "http://127.0.0.1:9000" + drive}, "mixed style"},
		{"pool without ellipsis", base, []string{drive + "{1...2}", drive}, "all args must have ellipses for pool expansion"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args == nil {
				args = []string{drive}
			}
			code, out := run(t, tc.env, "minio", append([]string{"server", "--address", "127.0.0.1:0"}, args...)...)
			if code != 1 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, output:\n%s\nwant exit 1 with %q", code, out, tc.want)
			}
		})
	}
	t.Run("MINIO_VOLUMES with ellipsis", func(t *testing.T) {
		root := t.TempDir()
		for _, d := range []string{"d1", "d2", "d3"} {
			os.Mkdir(filepath.Join(root, d), 0o755)
		}
		env := []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=password1", "MINIO_VOLUMES=" + root + "/d{1...3}"}
		p, _ := startMinIO(t, env)
		p.waitFor(t, `drives: 3 local of 3`, time.Second)
		os.Remove(filepath.Join(root, "d3"))
		env[2] = "MINIO_VOLUMES=" + root + "/d{1...3}"
		code, out := run(t, env, "minio", "server", "--address", "127.0.0.1:0")
		if code != 1 || !strings.Contains(out, "d3") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("two pools, each an ellipsis", func(t *testing.T) {
		root := t.TempDir()
		for _, d := range []string{"a1", "a2", "b1", "b2"} {
			os.Mkdir(filepath.Join(root, d), 0o755)
		}
		env := []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=password1", "MINIO_VOLUMES=" + root + "/a{1...2} " + root + "/b{1...2}"}
		p, _ := startMinIO(t, env)
		p.waitFor(t, `drives: 4 local of 4, pools: 2`, time.Second)
	})
	t.Run("help is labelled", func(t *testing.T) {
		if code, out := run(t, nil, "minio", "--help"); code != 0 || !strings.Contains(out, "STAND-IN for tests, not the real program") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})
}

// Distributed bootstrap: every node's MINIO_* environment must be the same (§4.2).
func TestMinIODistributedEnvCheck(t *testing.T) {
	root := t.TempDir()
	p1, p2 := freePort(t), freePort(t)
	os.Mkdir(filepath.Join(root, "n1"), 0o755)
	os.Mkdir(filepath.Join(root, "n2"), 0o755)
	volumes := "MINIO_VOLUMES=http://127.0.0.1:" + p1 + root + "/n1 http://127.0.0.1:" + p2 + root + "/n2"
	common := []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=password1", volumes, "STANDIN_MINIO_BOOTSTRAP_TIMEOUT=20s"}

	t.Run("same environment", func(t *testing.T) {
		// MINIO_OPTS is in the skip list, so it may differ.
		a := start(t, append(common, "MINIO_OPTS=--console-address :9001", "MINIO_BROWSER=off"), "minio", "server", "--address", "127.0.0.1:"+p1)
		b := start(t, append(common, "MINIO_OPTS=", "MINIO_BROWSER=off"), "minio", "server", "--address", "127.0.0.1:"+p2)
		a.waitFor(t, `drives: 1 local of 2`, 20*time.Second)
		b.waitFor(t, `drives: 1 local of 2`, 20*time.Second)
		if got := httpStatus(t, "http://127.0.0.1:"+p1+"/minio/health/ready"); got != 200 {
			t.Fatalf("ready: %d", got)
		}
		a.stop()
		b.stop()
	})
	t.Run("different environment", func(t *testing.T) {
		a := start(t, append(common, "MINIO_BROWSER=on"), "minio", "server", "--address", "127.0.0.1:"+p1)
		b := start(t, append(common, "MINIO_BROWSER=off"), "minio", "server", "--address", "127.0.0.1:"+p2)
		for _, p := range []*proc{a, b} {
			code, out := p.waitExit(t, 30*time.Second)
			if code != 1 || !strings.Contains(out, "FATAL Expected MINIO_* environment name and values across all servers to be same") ||
				!strings.Contains(out, "MINIO_BROWSER") {
				t.Fatalf("exit %d:\n%s", code, out)
			}
		}
	})
}
