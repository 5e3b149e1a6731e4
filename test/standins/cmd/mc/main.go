// mc STAND-IN for tests, not the real program.
//
// A small replacement for MinIO's `mc` client (archived, AGPL-3.0) covering the subset of
// /work/shared/reference/kes-minio.md §5 with the upstream syntax, texts and exit codes:
// MC_HOST_<alias> aliases, --json, --insecure, --config-dir, `admin kms key create`, `mb`,
// `encrypt set|info|clear`, `cp`, `stat` and `cat`. Requests are AWS SigV4-signed.
package main

import (
	"bytes"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"example.invalid/standins/internal/sigv4"
)

const banner = "mc STAND-IN for tests, not the real program"

const usageText = banner + `

Usage:
  mc [--json] [--insecure] [--config-dir DIR] COMMAND ...

Commands (kes-minio.md §5):
  mc admin kms key create ALIAS KEYNAME
  mc mb [--ignore-existing|-p] ALIAS/BUCKET...
  mc encrypt set sse-kms KEY ALIAS/BUCKET
  mc encrypt set sse-s3 ALIAS/BUCKET
  mc encrypt info ALIAS/BUCKET
  mc encrypt clear ALIAS/BUCKET
  mc cp SRC ALIAS/BUCKET[/OBJECT]        (SRC: a local file or - for stdin)
  mc stat ALIAS/BUCKET/OBJECT
  mc cat ALIAS/BUCKET/OBJECT

Aliases come only from MC_HOST_<alias>=http(s)://ACCESS:SECRET@host:port.
CAs are read from $MC_CONFIG_DIR/certs/CAs/ (or --config-dir; default ~/.mc).
`

var (
	jsonOut   bool
	insecure  bool
	configDir string
)

// ---------- output ----------

func printJSON(v any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

// fatal prints an mc-style error and exits 1. With --json the shape is
// {"status":"error","error":{"message":…,"cause":{…},"type":"fatal"}} (§5, cmd/error.go).
func fatal(msg string, cause error) {
	if jsonOut {
		c := map[string]any{}
		if cause != nil {
			c["message"] = cause.Error()
			if se, ok := cause.(*s3Error); ok {
				c["error"] = se
			}
		}
		b, _ := json.MarshalIndent(map[string]any{"status": "error", "error": map[string]any{"message": msg, "cause": c, "type": "fatal"}}, "", " ")
		fmt.Println(string(b)) // [inferred] mc prints JSON errors on stdout
	} else if cause != nil {
		fmt.Fprintf(os.Stderr, "mc: <ERROR> %s. %s\n", msg, cause.Error())
	} else {
		fmt.Fprintf(os.Stderr, "mc: <ERROR> %s.\n", msg)
	}
	os.Exit(1)
}

func usageExit(cmd string) {
	fmt.Fprintf(os.Stderr, "mc: incorrect arguments for '%s'\n\n%s", cmd, usageText)
	os.Exit(1)
}

func isTerminal(f *os.File) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

// ---------- aliases and requests ----------

type alias struct {
	name, scheme, host, access, secret string
	client                             *http.Client
}

// s3Error is an error answer from the server (S3 XML or admin JSON).
type s3Error struct {
	Code       string `json:"Code"`
	Message    string `json:"Message"`
	StatusCode int    `json:"StatusCode"`
}

func (e *s3Error) Error() string { return e.Message }

// mc splits MC_HOST_<alias> with two regular expressions and uses the pieces as they are: no
// percent-decoding (mc cmd/config.go parseEnvURLStr; a PR adding decoding, minio/mc#3456, was
// closed unmerged). The access key ends at the first ':', the secret at the first '@', and a
// third ':'-separated field is a session token.
var (
	hostKeyTokens = regexp.MustCompile(`^(https?://)(.*?):(.*?):(.*?)@(.*?)$`)
	hostKeys      = regexp.MustCompile(`^(https?://)(.*?):(.*?)@(.*?)$`)
)

// lookupAlias reads MC_HOST_<alias>=http(s)://ACCESS:SECRET@host:port as mc does (§5).
func lookupAlias(name string) (*alias, error) {
	v, ok := os.LookupEnv("MC_HOST_" + name)
	if !ok {
		return nil, fmt.Errorf("alias `%s` not found: the stand-in supports only MC_HOST_<alias> aliases", name)
	}
	var access, secret, rest string
	if p := hostKeyTokens.FindStringSubmatch(v); p != nil {
		access, secret, rest = p[2], p[3], p[1]+p[5]
	} else if p := hostKeys.FindStringSubmatch(v); p != nil {
		access, secret, rest = p[2], p[3], p[1]+p[4]
	} else {
		rest = v
	}
	u, err := url.Parse(rest)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid MC_HOST_%s: want http(s)://ACCESS:SECRET@host:port", name)
	}
	a := &alias{name: name, scheme: u.Scheme, host: u.Host, access: access, secret: secret}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	caDir := filepath.Join(configDir, "certs", "CAs")
	if entries, err := os.ReadDir(caDir); err == nil {
		for _, e := range entries {
			if data, err := os.ReadFile(filepath.Join(caDir, e.Name())); err == nil {
				pool.AppendCertsFromPEM(data)
			}
		}
	}
	a.client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, InsecureSkipVerify: insecure},
	}}
	return a, nil
}

// splitTarget turns "ALIAS/BUCKET/OBJ" into its alias, bucket and object.
func splitTarget(t string) (*alias, string, string, error) {
	name, rest, _ := strings.Cut(t, "/")
	a, err := lookupAlias(name)
	if err != nil {
		return nil, "", "", err
	}
	bucket, object, _ := strings.Cut(rest, "/")
	return a, bucket, object, nil
}

func (a *alias) do(method, p, rawQuery string, body []byte, hdr map[string]string) (*http.Response, []byte, error) {
	u := &url.URL{Scheme: a.scheme, Host: a.host, Path: p, RawQuery: rawQuery}
	req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.URL = u
	req.ContentLength = int64(len(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	sigv4.Sign(req, a.access, a.secret, "us-east-1", "s3", sigv4.HashHex(body), time.Now())
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode/100 != 2 {
		e := &s3Error{StatusCode: resp.StatusCode}
		if xml.Unmarshal(data, e) != nil || e.Code == "" {
			json.Unmarshal(data, e)
		}
		if e.Message == "" {
			switch resp.StatusCode {
			case http.StatusNotFound:
				e.Code, e.Message = "NoSuchKey", "Object does not exist"
			default:
				e.Message = resp.Status
			}
		}
		return resp, data, e
	}
	return resp, data, nil
}

// ---------- argument parsing ----------

// parseArgs separates flags from positional arguments; flags may appear anywhere, as in mc.
// valueFlags take a value. Unknown flags are fatal (exit 1).
func parseArgs(args []string, allowed map[string]bool) (map[string]string, []string) {
	flags := map[string]string{}
	var pos []string
	valueFlags := map[string]bool{"config-dir": true, "C": true, "region": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if a == "-" || !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !allowed[name] {
			fmt.Fprintf(os.Stderr, "mc: flag provided but not defined: %s\n", a)
			os.Exit(1)
		}
		if valueFlags[name] && !hasVal {
			if i+1 >= len(args) {
				fmt.Fprintf(os.Stderr, "mc: flag needs an argument: %s\n", a)
				os.Exit(1)
			}
			i++
			val = args[i]
		}
		flags[name] = val
	}
	return flags, pos
}

var globalFlags = []string{"json", "insecure", "config-dir", "C", "quiet", "q", "no-color", "disable-pager", "help", "h", "version", "v"}

func main() {
	allowed := map[string]bool{}
	for _, f := range append(globalFlags, "ignore-existing", "p", "region", "with-lock", "l", "with-versioning") {
		allowed[f] = true
	}
	flags, pos := parseArgs(os.Args[1:], allowed)
	_, jsonOut = flags["json"]
	_, insecure = flags["insecure"]
	configDir = os.Getenv("MC_CONFIG_DIR")
	if v, ok := flags["config-dir"]; ok {
		configDir = v
	} else if v, ok := flags["C"]; ok {
		configDir = v
	}
	if configDir == "" {
		home, _ := os.UserHomeDir()
		configDir = filepath.Join(home, ".mc")
	}
	if _, ok := flags["version"]; ok {
		fmt.Println("mc version STAND-IN (" + banner + ")")
		return
	}
	if len(pos) == 0 {
		if _, ok := flags["help"]; ok {
			fmt.Print(usageText)
			return
		}
		fmt.Fprint(os.Stderr, usageText)
		os.Exit(1)
	}
	cmdFlags := func(names ...string) {
		ok := map[string]bool{}
		for _, n := range append(names, globalFlags...) {
			ok[n] = true
		}
		for f := range flags {
			if !ok[f] {
				fmt.Fprintf(os.Stderr, "mc: flag provided but not defined: -%s\n", f)
				os.Exit(1)
			}
		}
	}
	switch {
	case len(pos) >= 4 && pos[0] == "admin" && pos[1] == "kms" && pos[2] == "key" && pos[3] == "create":
		cmdFlags()
		kmsKeyCreate(pos[4:])
	case pos[0] == "mb":
		cmdFlags("ignore-existing", "p", "region", "with-lock", "l", "with-versioning")
		_, ie := flags["ignore-existing"]
		_, p := flags["p"]
		mb(pos[1:], ie || p)
	case len(pos) >= 2 && pos[0] == "encrypt" && pos[1] == "set":
		cmdFlags()
		encryptSet(pos[2:])
	case len(pos) >= 2 && pos[0] == "encrypt" && pos[1] == "info":
		cmdFlags()
		encryptInfo(pos[2:])
	case len(pos) >= 2 && pos[0] == "encrypt" && pos[1] == "clear":
		cmdFlags()
		encryptClear(pos[2:])
	case pos[0] == "cp":
		cmdFlags()
		cp(pos[1:])
	case pos[0] == "stat":
		cmdFlags()
		stat(pos[1:])
	case pos[0] == "cat":
		cmdFlags()
		cat(pos[1:])
	default:
		fmt.Fprintf(os.Stderr, "mc: '%s' is not a command supported by the stand-in\n\n%s", strings.Join(pos, " "), usageText)
		os.Exit(1)
	}
}

// ---------- commands ----------

// kmsKeyCreate: exactly 2 args; prints nothing with --json and the success line only on a TTY;
// an existing key makes it exit non-zero with the server's text (§5).
func kmsKeyCreate(args []string) {
	if len(args) != 2 {
		usageExit("admin kms key create")
	}
	a, err := lookupAlias(strings.TrimSuffix(args[0], "/"))
	if err != nil {
		fatal("Unable to initialize admin connection", err)
	}
	if _, _, err := a.do(http.MethodPost, "/minio/kms/v1/key/create", "key-id="+url.QueryEscape(args[1]), nil, nil); err != nil {
		fatal("Unable to create KMS key "+args[1], err)
	}
	if !jsonOut && isTerminal(os.Stdout) {
		fmt.Printf("Created master key `%s` successfully\n", args[1])
	}
}

func mb(args []string, ignoreExisting bool) {
	if len(args) == 0 {
		usageExit("mb")
	}
	for _, t := range args {
		t = strings.TrimSuffix(t, "/")
		a, bucket, object, err := splitTarget(t)
		if err != nil {
			fatal("Unable to make bucket `"+t+"`", err)
		}
		if bucket == "" || object != "" {
			fatal("Unable to make bucket `"+t+"`", fmt.Errorf("the stand-in expects ALIAS/BUCKET"))
		}
		_, _, err = a.do(http.MethodPut, "/"+bucket, "", nil, nil)
		if se, ok := err.(*s3Error); ok && ignoreExisting && (se.Code == "BucketAlreadyOwnedByYou" || se.Code == "BucketAlreadyExists") {
			err = nil
		}
		if err != nil {
			fatal("Unable to make bucket `"+t+"`", err)
		}
		if jsonOut {
			printJSON(map[string]string{"status": "success", "bucket": t, "region": ""})
		} else {
			fmt.Printf("Bucket created successfully `%s`.\n", t)
		}
	}
}

func bucketTarget(t string, what string) (*alias, string) {
	t = strings.TrimSuffix(t, "/")
	a, bucket, object, err := splitTarget(t)
	if err == nil && (bucket == "" || object != "") {
		err = fmt.Errorf("the stand-in expects ALIAS/BUCKET")
	}
	if err != nil {
		fatal(what, err)
	}
	return a, bucket
}

// encryptSet: `sse-kms KEY ALIAS/BUCKET` or `sse-s3 ALIAS/BUCKET`, type case-insensitive.
// sse-kms without KEY is sent without a key id and the server rejects it (§5).
func encryptSet(args []string) {
	if len(args) != 2 && len(args) != 3 {
		usageExit("encrypt set")
	}
	typ := strings.ToLower(args[0])
	target, key := args[len(args)-1], ""
	if len(args) == 3 {
		key = args[1]
	}
	var rule string
	switch typ {
	case "sse-kms":
		rule = "<SSEAlgorithm>aws:kms</SSEAlgorithm>"
		if key != "" {
			var b bytes.Buffer
			xml.EscapeText(&b, []byte(key))
			rule += "<KMSMasterKeyID>" + b.String() + "</KMSMasterKeyID>"
		}
	case "sse-s3":
		if key != "" {
			usageExit("encrypt set")
		}
		rule = "<SSEAlgorithm>AES256</SSEAlgorithm>"
	default:
		fatal("Invalid encryption algorithm "+args[0], fmt.Errorf("valid values are sse-s3 and sse-kms"))
	}
	a, bucket := bucketTarget(target, "Unable to set encryption configuration on `"+target+"`")
	body := []byte(`<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault>` +
		rule + `</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`)
	sum := md5.Sum(body)
	if _, _, err := a.do(http.MethodPut, "/"+bucket, "encryption", body, map[string]string{
		"Content-Type": "application/xml", "Content-MD5": base64.StdEncoding.EncodeToString(sum[:]),
	}); err != nil {
		fatal("Unable to set encryption configuration on `"+target+"`", err)
	}
	if jsonOut {
		printJSON(map[string]any{"op": "set", "status": "success", "url": target, "encryption": map[string]string{"algorithm": typ}})
	} else {
		fmt.Printf("Auto encryption configuration has been set successfully for %s\n", target)
	}
}

// encryptInfo prints the stored config; without one the server answers 404 and mc exits with an
// error ([inferred] in §5).
func encryptInfo(args []string) {
	if len(args) != 1 {
		usageExit("encrypt info")
	}
	a, bucket := bucketTarget(args[0], "Unable to get encryption info")
	_, data, err := a.do(http.MethodGet, "/"+bucket, "encryption", nil, nil)
	if err != nil {
		fatal("Unable to get encryption info", err)
	}
	var c struct {
		Alg string `xml:"Rule>ApplyServerSideEncryptionByDefault>SSEAlgorithm"`
		Key string `xml:"Rule>ApplyServerSideEncryptionByDefault>KMSMasterKeyID"`
	}
	if err := xml.Unmarshal(data, &c); err != nil {
		fatal("Unable to get encryption info", err)
	}
	if jsonOut {
		enc := map[string]string{"algorithm": c.Alg}
		if c.Key != "" {
			enc["keyId"] = c.Key
		}
		printJSON(map[string]any{"op": "info", "status": "success", "url": args[0], "encryption": enc})
		return
	}
	switch c.Alg {
	case "aws:kms":
		fmt.Printf("Auto encryption 'sse-kms' is enabled with KeyID: %s\n", c.Key)
	case "AES256":
		fmt.Println("Auto encryption 'sse-s3' is enabled")
	default:
		fmt.Printf("Auto encryption '%s' is enabled\n", c.Alg)
	}
}

func encryptClear(args []string) {
	if len(args) != 1 {
		usageExit("encrypt clear")
	}
	a, bucket := bucketTarget(args[0], "Unable to clear auto encryption configuration")
	if _, _, err := a.do(http.MethodDelete, "/"+bucket, "encryption", nil, nil); err != nil {
		fatal("Unable to clear auto encryption configuration", err)
	}
	if jsonOut {
		printJSON(map[string]string{"op": "clear", "status": "success", "url": args[0]})
	} else {
		fmt.Printf("Auto encryption configuration has been cleared successfully for %s\n", args[0])
	}
}

func cp(args []string) {
	if len(args) != 2 {
		usageExit("cp")
	}
	src, dst := args[0], args[1]
	var data []byte
	var err error
	if src == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(src)
	}
	if err != nil {
		fatal("Unable to read from `"+src+"`", err)
	}
	a, bucket, object, err := splitTarget(dst)
	if err == nil && bucket == "" {
		err = fmt.Errorf("the stand-in expects ALIAS/BUCKET[/OBJECT] as target")
	}
	if err != nil {
		fatal("Unable to copy to `"+dst+"`", err)
	}
	if object == "" || strings.HasSuffix(object, "/") {
		if src == "-" {
			fatal("Unable to copy to `"+dst+"`", fmt.Errorf("an object name is required when copying from stdin"))
		}
		object += filepath.Base(src)
		dst = a.name + "/" + bucket + "/" + object
	}
	ct := mime.TypeByExtension(path.Ext(object))
	if ct == "" {
		ct = "application/octet-stream"
	}
	if _, _, err := a.do(http.MethodPut, "/"+bucket+"/"+object, "", data, map[string]string{"Content-Type": ct}); err != nil {
		fatal("Failed to copy `"+src+"`", err)
	}
	if jsonOut {
		printJSON(map[string]any{"status": "success", "source": src, "target": dst, "size": len(data), "totalCount": 1, "totalSize": len(data)})
	} else {
		fmt.Printf("`%s` -> `%s`\n", src, dst)
	}
}

func objectTarget(t, what string) (*alias, string, string) {
	a, bucket, object, err := splitTarget(t)
	if err == nil && (bucket == "" || object == "") {
		err = fmt.Errorf("the stand-in supports only ALIAS/BUCKET/OBJECT")
	}
	if err != nil {
		fatal(what+" `"+t+"`", err)
	}
	return a, bucket, object
}

// stat prints the object's metadata with an Encryption line: "SSE-KMS (arn:aws:kms:<key>)",
// "SSE-S3", "SSE-C" or "SSE-Unknown" (§5, cmd/stat.go).
func stat(args []string) {
	if len(args) == 0 {
		usageExit("stat")
	}
	for _, t := range args {
		a, bucket, object := objectTarget(t, "Unable to stat")
		resp, _, err := a.do(http.MethodHead, "/"+bucket+"/"+object, "", nil, nil)
		if err != nil {
			fatal("Unable to stat `"+t+"`", err)
		}
		size, _ := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
		if resp.ContentLength >= 0 {
			size = resp.ContentLength
		}
		mod, _ := http.ParseTime(resp.Header.Get("Last-Modified"))
		etag := strings.Trim(resp.Header.Get("ETag"), `"`)
		meta := map[string]string{}
		for k := range resp.Header {
			if k == "Content-Type" || strings.HasPrefix(k, "X-Amz-") {
				meta[k] = resp.Header.Get(k)
			}
		}
		enc := ""
		switch sse := resp.Header.Get("X-Amz-Server-Side-Encryption"); {
		case sse == "aws:kms":
			enc = "SSE-KMS (" + resp.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id") + ")"
		case sse == "AES256":
			enc = "SSE-S3"
		case resp.Header.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "":
			enc = "SSE-C"
		case sse != "":
			enc = "SSE-Unknown"
		}
		if jsonOut {
			printJSON(map[string]any{"status": "success", "name": object, "lastModified": mod.Format(time.RFC3339Nano),
				"size": size, "etag": etag, "type": "file", "metadata": meta})
			continue
		}
		fmt.Printf("Name      : %s\n", object)
		fmt.Printf("Date      : %s\n", mod.UTC().Format("2006-01-02 15:04:05 MST"))
		fmt.Printf("Size      : %d B\n", size)
		fmt.Printf("ETag      : %s\n", etag)
		fmt.Printf("Type      : file\n")
		if enc != "" {
			fmt.Printf("Encryption: %s\n", enc)
		}
		fmt.Printf("Metadata  :\n")
		keys := make([]string, 0, len(meta))
		for k := range meta {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("  %s: %s\n", k, meta[k])
		}
	}
}

func cat(args []string) {
	if len(args) == 0 {
		usageExit("cat")
	}
	for _, t := range args {
		a, bucket, object := objectTarget(t, "Unable to read from")
		_, data, err := a.do(http.MethodGet, "/"+bucket+"/"+object, "", nil, nil)
		if err != nil {
			fatal("Unable to read from `"+t+"`", err)
		}
		os.Stdout.Write(data)
	}
}
