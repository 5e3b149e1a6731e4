package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mc against MinIO against KES, end to end (kes-minio.md §5).
func TestMcEndToEnd(t *testing.T) {
	e := newKESEnv(t)
	_, kesAddr := startKES(t, e.config(t, minioFullPolicy))
	_, api := startMinIO(t, minioEnv(e, kesAddr), t.TempDir())
	host := strings.TrimPrefix(api, "http://")
	// The password "pa/ss%2Fword1" goes into MC_HOST_<alias> as it is: mc does not
	// percent-decode it (mc cmd/config.go parseEnvURLStr), so "%2F" stays three characters.
	env := []string{"MC_HOST_s3=http://admin:pa/ss%2Fword1@" + host}
	mc := func(args ...string) (int, string, string) { return runSplit(t, env, "mc", args...) }
	mustOK := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := mc(args...)
		if code != 0 {
			t.Fatalf("mc %v: exit %d\nstdout: %s\nstderr: %s", args, code, stdout, stderr)
		}
		return stdout
	}
	mustFail := func(want string, args ...string) string {
		t.Helper()
		code, stdout, stderr := mc(args...)
		if code == 0 || !strings.Contains(stdout+stderr, want) {
			t.Fatalf("mc %v: exit %d, want non-zero with %q\nstdout: %s\nstderr: %s", args, code, want, stdout, stderr)
		}
		return stdout + stderr
	}

	// admin kms key create: exactly 2 args; silent when not on a TTY and with --json.
	if out := mustOK("admin", "kms", "key", "create", "s3", "minio-bucket-key"); out != "" {
		t.Fatalf("key create printed %q on a non-TTY", out)
	}
	if out := mustOK("--json", "admin", "kms", "key", "create", "s3", "minio-other-key"); out != "" {
		t.Fatalf("key create --json printed %q", out)
	}
	mustFail("already exi", "admin", "kms", "key", "create", "s3", "minio-bucket-key")
	mustFail("incorrect arguments", "admin", "kms", "key", "create", "s3")
	expectStatus(t, e.client(&e.admin.tls), "GET", "https://"+kesAddr+"/v1/key/describe/minio-bucket-key", "", 200, vectorIdentity)

	// mb, with and without --ignore-existing / -p.
	if out := mustOK("mb", "s3/bkt"); !strings.Contains(out, "Bucket created successfully `s3/bkt`.") {
		t.Fatalf("mb: %q", out)
	}
	mustFail("you already own it", "mb", "s3/bkt")
	mustOK("mb", "--ignore-existing", "s3/bkt")
	mustOK("mb", "-p", "s3/bkt")

	// encrypt info without a config is an error.
	mustFail("server side encryption configuration was not found", "encrypt", "info", "s3/bkt")
	// sse-kms without a key is rejected by the server.
	mustFail("MasterKeyID is missing with aws:kms", "encrypt", "set", "sse-kms", "s3/bkt")
	// A key that does not exist fails the KES generate validation.
	mustFail("key with given key ID does not exist", "encrypt", "set", "sse-kms", "minio-nope", "s3/bkt")
	// Case-insensitive type; success text.
	if out := mustOK("encrypt", "set", "SSE-KMS", "minio-bucket-key", "s3/bkt"); out != "Auto encryption configuration has been set successfully for s3/bkt\n" {
		t.Fatalf("encrypt set: %q", out)
	}
	if out := mustOK("encrypt", "info", "s3/bkt"); out != "Auto encryption 'sse-kms' is enabled with KeyID: minio-bucket-key\n" {
		t.Fatalf("encrypt info: %q", out)
	}
	var info struct {
		Op, Status, URL string
		Encryption      struct{ Algorithm, KeyID string }
	}
	if err := json.Unmarshal([]byte(mustOK("--json", "encrypt", "info", "s3/bkt")), &info); err != nil ||
		info.Status != "success" || info.Encryption.Algorithm != "aws:kms" || info.Encryption.KeyID != "minio-bucket-key" {
		t.Fatalf("encrypt info --json: %+v %v", info, err)
	}

	// cp + stat: the object is SSE-KMS encrypted with the bucket key.
	src := writeFile(t, filepath.Join(t.TempDir(), "hello.txt"), "hello, encrypted world\n")
	mustOK("cp", src, "s3/bkt/dir/hello.txt")
	if out := mustOK("stat", "s3/bkt/dir/hello.txt"); !strings.Contains(out, "Encryption: SSE-KMS (arn:aws:kms:minio-bucket-key)\n") {
		t.Fatalf("stat:\n%s", out)
	}
	var st struct {
		Status   string
		Size     int
		Metadata map[string]string
	}
	if err := json.Unmarshal([]byte(mustOK("--json", "stat", "s3/bkt/dir/hello.txt")), &st); err != nil ||
		st.Size != 23 || st.Metadata["X-Amz-Server-Side-Encryption"] != "aws:kms" ||
		st.Metadata["X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"] != "arn:aws:kms:minio-bucket-key" {
		t.Fatalf("stat --json: %+v %v", st, err)
	}
	// Reading it back goes through a KES decrypt.
	if out := mustOK("cat", "s3/bkt/dir/hello.txt"); out != "hello, encrypted world\n" {
		t.Fatalf("cat: %q", out)
	}

	// SSE-S3 bucket; then clear.
	mustOK("mb", "s3/plain")
	mustOK("encrypt", "set", "sse-s3", "s3/plain")
	if out := mustOK("encrypt", "info", "s3/plain"); out != "Auto encryption 'sse-s3' is enabled\n" {
		t.Fatalf("encrypt info sse-s3: %q", out)
	}
	mustOK("cp", src, "s3/plain/")
	if out := mustOK("stat", "s3/plain/hello.txt"); !strings.Contains(out, "Encryption: SSE-S3\n") {
		t.Fatalf("stat sse-s3:\n%s", out)
	}
	mustOK("encrypt", "clear", "s3/plain")
	mustFail("not found", "encrypt", "info", "s3/plain")

	// Errors with --json are shaped {"status":"error","error":{"message","cause","type":"fatal"}}.
	code, stdout, _ := mc("--json", "mb", "s3/bkt")
	var je struct {
		Status string
		Error  struct {
			Message string
			Cause   struct{ Message string }
			Type    string
		}
	}
	if code == 0 || json.Unmarshal([]byte(stdout), &je) != nil || je.Status != "error" || je.Error.Type != "fatal" ||
		!strings.Contains(je.Error.Cause.Message, "already own it") {
		t.Fatalf("--json error: exit %d %q", code, stdout)
	}

	// Wrong credentials are refused (SigV4).
	bad := []string{"MC_HOST_s3=http://admin:wrong-password@" + host}
	if code, _, stderr := runSplit(t, bad, "mc", "mb", "s3/other"); code == 0 || !strings.Contains(stderr, "signature") {
		t.Fatalf("wrong password: exit %d %s", code, stderr)
	}
	// Unknown flags are fatal.
	if code, _, _ := runSplit(t, env, "mc", "--bogus", "mb", "s3/x"); code != 1 {
		t.Fatalf("unknown flag: exit %d", code)
	}
	mustFail("alias `nope` not found", "mb", "nope/bkt")
}

// HTTPS MinIO: mc trusts CAs from $MC_CONFIG_DIR/certs/CAs or --config-dir, or skips checks with --insecure.
func TestMcTLSTrust(t *testing.T) {
	c := newCA(t)
	l := c.issue(t, "minio", []string{"127.0.0.1"}, nil)
	certs := t.TempDir()
	writeFile(t, filepath.Join(certs, "public.crt"), string(l.certPEM))
	writeFile(t, filepath.Join(certs, "private.key"), string(l.keyPEM))
	p := start(t, []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=password1"}, "minio", "server", "--address", "127.0.0.1:0", "--certs-dir", certs, t.TempDir())
	m := p.waitFor(t, `API: https://(127\.0\.0\.1:\d+)`, 30*time.Second)
	env := []string{"MC_HOST_s3=https://admin:password1@" + m[1]}

	if code, _, stderr := runSplit(t, env, "mc", "mb", "s3/bkt1"); code == 0 || !strings.Contains(stderr, "certificate") {
		t.Fatalf("untrusted CA: exit %d %s", code, stderr)
	}
	if code, _, stderr := runSplit(t, env, "mc", "--insecure", "mb", "s3/bkt2"); code != 0 {
		t.Fatalf("--insecure: exit %d %s", code, stderr)
	}
	cfg := t.TempDir()
	writeFile(t, filepath.Join(cfg, "certs", "CAs", "ca.crt"), string(c.pem))
	if code, _, stderr := runSplit(t, append(env, "MC_CONFIG_DIR="+cfg), "mc", "mb", "s3/bkt3"); code != 0 {
		t.Fatalf("MC_CONFIG_DIR: exit %d %s", code, stderr)
	}
	if code, _, stderr := runSplit(t, env, "mc", "--config-dir", cfg, "mb", "s3/bkt4"); code != 0 {
		t.Fatalf("--config-dir: exit %d %s", code, stderr)
	}
}
