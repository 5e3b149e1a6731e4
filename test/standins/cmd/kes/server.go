package main

// HTTP API of the KES stand-in (kes-minio.md §3) with identity and policy checks (§1.1, §2).

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"example.invalid/standins/internal/kesauth"
	"example.invalid/standins/internal/logx"
)

type state struct {
	cfg   *config
	store *fsStore
}

type server struct {
	state   atomic.Pointer[state]
	started time.Time
	reqs    atomic.Int64
	denied  atomic.Int64
}

type request struct {
	w        http.ResponseWriter
	r        *http.Request
	identity string
	name     string // the path element after the route prefix
	st       *state
}

type route struct {
	method   string // GET, PUT (POST accepted too, §3) or DELETE
	path     string // exact path, or prefix ending in "/" when withName
	withName bool
	auth     bool // identity + policy check (§3 "auth" column)
	handle   func(*server, *request)
}

// routes is the table of §3. Routes not listed there are answered 404 by the stand-in.
// (Filled in init because /v1/api lists the table itself.)
var routes []route

func init() {
	routes = []route{
		{"GET", "/version", false, false, (*server).version},
		{"GET", "/v1/ready", false, true, (*server).ready},
		{"GET", "/v1/status", false, true, (*server).status},
		{"GET", "/v1/metrics", false, true, (*server).metrics},
		{"GET", "/v1/api", false, true, (*server).apis},
		{"GET", "/v1/identity/self/describe", false, false, (*server).selfDescribe},
		{"PUT", "/v1/key/create/", true, true, (*server).createKey},
		{"GET", "/v1/key/describe/", true, true, (*server).describeKey},
		{"DELETE", "/v1/key/delete/", true, true, (*server).deleteKey},
		{"GET", "/v1/key/list/", true, true, (*server).listKeys},
		{"PUT", "/v1/key/generate/", true, true, (*server).generateKey},
		{"PUT", "/v1/key/encrypt/", true, true, (*server).encryptKey},
		{"PUT", "/v1/key/decrypt/", true, true, (*server).decryptKey},
	}
}

func (r route) apiPath() string { return strings.TrimSuffix(r.path, "/") }

// match is the policy pattern rule of §1.1: a trailing '*' is a prefix match, otherwise exact.
func match(pattern, path string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, p)
	}
	return pattern == path
}

// allowed: no deny pattern matches and at least one allow pattern matches (§1.1).
func (p *policy) allowed(path string) bool {
	for _, d := range p.deny {
		if match(d, path) {
			return false
		}
	}
	for _, a := range p.allow {
		if match(a, path) {
			return true
		}
	}
	return false
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: 200}
	req := &request{w: sw, r: r, st: s.state.Load()}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		// §2: identity = hex(sha256(RawSubjectPublicKeyInfo)) of the client certificate.
		req.identity = kesauth.CertIdentity(r.TLS.PeerCertificates[0])
	}
	s.reqs.Add(1)
	s.dispatch(req)
	id := req.identity
	if id == "" {
		id = "<no-cert>"
	}
	logx.Printf("kes", "%s %s %s %s %d %s", r.RemoteAddr, id, r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Microsecond))
}

func (s *server) dispatch(req *request) {
	path := req.r.URL.Path
	for _, rt := range routes {
		if rt.withName && !strings.HasPrefix(path, rt.path) || !rt.withName && path != rt.path {
			continue
		}
		method := req.r.Method
		if method == http.MethodPost && rt.method == http.MethodPut {
			method = http.MethodPut // §3: POST is accepted wherever PUT is expected
		}
		if method != rt.method {
			writeError(req.w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		req.name = strings.TrimPrefix(path, rt.path)
		if rt.auth && !req.st.cfg.skipAuth[rt.apiPath()] {
			if req.identity == "" {
				// [inferred] status and text for a missing client certificate on a route
				// that needs an identity (possible only when skip_auth relaxed the handshake).
				writeError(req.w, http.StatusBadRequest, "tls: client certificate is required")
				return
			}
			if req.identity != req.st.cfg.admin { // the admin may call every API
				p := req.st.cfg.policies[req.identity]
				if p == nil || !p.allowed(path) { // an identity in no policy is denied
					s.denied.Add(1)
					writeError(req.w, http.StatusForbidden, "not authorized: insufficient permissions")
					return
				}
			}
		}
		rt.handle(s, req)
		return
	}
	writeError(req.w, http.StatusNotFound, "not found")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// writeError answers with the KES error shape {"message": …} (kes-minio.md §3 error texts).
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

func writeStoreError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errKeyExists), errors.Is(err, errNotAuthentic):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, errKeyNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, errSealed):
		writeError(w, http.StatusGatewayTimeout, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// keyName validates the name of a key route (§3: 400 for invalid names).
func (req *request) keyName() (string, bool) {
	if !validKeyName(req.name) {
		writeError(req.w, http.StatusBadRequest, fmt.Sprintf("key name '%s' is empty, too long or contains invalid characters", req.name))
		return "", false
	}
	if err := fsName(req.name); err != nil {
		writeError(req.w, http.StatusBadRequest, err.Error())
		return "", false
	}
	return req.name, true
}

func (req *request) body(v any) bool {
	data, err := io.ReadAll(io.LimitReader(req.r.Body, 1<<20))
	if err == nil && len(strings.TrimSpace(string(data))) > 0 {
		err = json.Unmarshal(data, v)
	}
	if err != nil {
		writeError(req.w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return false
	}
	return true
}

func (s *server) version(req *request) {
	writeJSON(req.w, map[string]string{"version": "STAND-IN", "commit": "stand-in for tests, not the real program"})
}

// ready: 200, or 504 when the keystore is "sealed" (stand-in knob; §3, §6 pitfall 7).
func (s *server) ready(req *request) {
	if req.st.store.sealed() {
		writeError(req.w, http.StatusGatewayTimeout, errSealed.Error())
		return
	}
	req.w.WriteHeader(http.StatusOK)
}

func (s *server) status(req *request) {
	writeJSON(req.w, map[string]any{
		"version": "STAND-IN", "os": runtime.GOOS, "arch": runtime.GOARCH,
		"uptime": time.Since(s.started), "num_cpu": runtime.NumCPU(), "num_goroutine": runtime.NumGoroutine(),
		"keystore_unreachable": req.st.store.sealed(),
	})
}

func (s *server) metrics(req *request) {
	req.w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(req.w, "# HELP kes_http_request_total Requests served (stand-in).\n# TYPE kes_http_request_total counter\nkes_http_request_total %d\n", s.reqs.Load())
	fmt.Fprintf(req.w, "# HELP kes_http_request_denied Requests denied by policy (stand-in).\n# TYPE kes_http_request_denied counter\nkes_http_request_denied %d\n", s.denied.Load())
	fmt.Fprintf(req.w, "# HELP kes_system_up_time Uptime in seconds.\n# TYPE kes_system_up_time gauge\nkes_system_up_time %f\n", time.Since(s.started).Seconds())
}

func (s *server) apis(req *request) {
	var out []map[string]any
	for _, rt := range routes {
		out = append(out, map[string]any{"method": rt.method, "path": rt.path, "max_body": 1 << 20, "timeout": 15})
	}
	writeJSON(req.w, out)
}

func (s *server) selfDescribe(req *request) {
	if req.identity == "" {
		writeError(req.w, http.StatusBadRequest, "tls: client certificate is required")
		return
	}
	out := map[string]any{"identity": req.identity, "admin": req.identity == req.st.cfg.admin}
	if p := req.st.cfg.policies[req.identity]; p != nil {
		out["policy_name"] = p.name
		out["allow"], out["deny"] = p.allow, p.deny
	}
	writeJSON(req.w, out)
}

func (s *server) createKey(req *request) {
	name, ok := req.keyName()
	if !ok {
		return
	}
	if err := req.st.store.create(name, req.identity); err != nil {
		writeStoreError(req.w, err) // existing key: 400 "key already exists" (§3)
		return
	}
	req.w.WriteHeader(http.StatusOK)
}

func (s *server) describeKey(req *request) {
	name, ok := req.keyName()
	if !ok {
		return
	}
	k, err := req.st.store.get(name)
	if err != nil {
		writeStoreError(req.w, err)
		return
	}
	writeJSON(req.w, map[string]any{"name": name, "algorithm": "AES256", "created_at": k.CreatedAt, "created_by": k.CreatedBy})
}

func (s *server) deleteKey(req *request) {
	name, ok := req.keyName()
	if !ok {
		return
	}
	if err := req.st.store.delete(name); err != nil {
		writeStoreError(req.w, err)
		return
	}
	req.w.WriteHeader(http.StatusOK)
}

// listKeys: a trailing '*' (mc sends "*", §3) or no '*' are both treated as a prefix [inferred];
// the answer shape {"names": […], "continue_at": ""} is [inferred] too.
func (s *server) listKeys(req *request) {
	prefix := strings.TrimSuffix(req.name, "*")
	if prefix != "" && !validKeyName(prefix) && !validKeyName(prefix+"x") {
		writeError(req.w, http.StatusBadRequest, "invalid key name prefix")
		return
	}
	names, err := req.st.store.list(prefix)
	if err != nil {
		writeStoreError(req.w, err)
		return
	}
	writeJSON(req.w, map[string]any{"names": names, "continue_at": ""})
}

// generateKey: body {} or {"context": b64} → {"plaintext": b64, "ciphertext": b64} (§3).
func (s *server) generateKey(req *request) {
	name, ok := req.keyName()
	if !ok {
		return
	}
	var in struct {
		Context []byte `json:"context"`
	}
	if !req.body(&in) {
		return
	}
	k, err := req.st.store.get(name)
	if err != nil {
		writeStoreError(req.w, err) // missing key: 404 "key does not exist"
		return
	}
	plaintext := make([]byte, 32)
	if _, err := randRead(plaintext); err != nil {
		writeStoreError(req.w, err)
		return
	}
	ct, err := seal(k.Key, plaintext, in.Context)
	if err != nil {
		writeStoreError(req.w, err)
		return
	}
	writeJSON(req.w, map[string][]byte{"plaintext": plaintext, "ciphertext": ct})
}

func (s *server) encryptKey(req *request) {
	name, ok := req.keyName()
	if !ok {
		return
	}
	var in struct {
		Plaintext []byte `json:"plaintext"`
		Context   []byte `json:"context"`
	}
	if !req.body(&in) {
		return
	}
	k, err := req.st.store.get(name)
	if err != nil {
		writeStoreError(req.w, err)
		return
	}
	ct, err := seal(k.Key, in.Plaintext, in.Context)
	if err != nil {
		writeStoreError(req.w, err)
		return
	}
	writeJSON(req.w, map[string][]byte{"ciphertext": ct})
}

// decryptKey: body {"ciphertext", "context"}; a tampered ciphertext or a different context
// gives 400 "decryption failed: ciphertext is not authentic" (§3).
func (s *server) decryptKey(req *request) {
	name, ok := req.keyName()
	if !ok {
		return
	}
	var in struct {
		Ciphertext []byte `json:"ciphertext"`
		Context    []byte `json:"context"`
	}
	if !req.body(&in) {
		return
	}
	k, err := req.st.store.get(name)
	if err != nil {
		writeStoreError(req.w, err)
		return
	}
	pt, err := open(k.Key, in.Ciphertext, in.Context)
	if err != nil {
		writeStoreError(req.w, err)
		return
	}
	writeJSON(req.w, map[string][]byte{"plaintext": pt})
}
