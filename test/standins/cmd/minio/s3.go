package main

// Minimal S3 + KMS admin surface for the mc stand-in (kes-minio.md §5). Requests are
// authenticated with AWS SigV4 against the root credentials.

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"example.invalid/standins/internal/kesclient"
	"example.invalid/standins/internal/logx"
	"example.invalid/standins/internal/sigv4"
)

const arnPrefix = "arn:aws:kms:"

type server struct {
	rootUser, rootPassword string
	kms                    *kms
	autoEncrypt            bool
	drive                  string // first local drive: buckets and objects live here
	ready                  atomic.Bool
}

type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

var (
	errNoSuchBucket  = &apiError{404, "NoSuchBucket", "The specified bucket does not exist"}
	errNoSuchKey     = &apiError{404, "NoSuchKey", "The specified key does not exist."}
	errKMSNotConfig  = &apiError{501, "NotImplemented", "Server side encryption specified but KMS is not configured"}
	errNotImpl       = &apiError{501, "NotImplemented", "A header you provided implies functionality that is not implemented (minio STAND-IN)"}
	errSSEConfigNone = &apiError{404, "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found"}
)

func malformed(msg string) *apiError { return &apiError{400, "MalformedXML", msg} }

// kmsError maps a KES answer to the S3 error MinIO most likely returns (§5, [inferred]).
func kmsError(err error) *apiError {
	var e *kesclient.Error
	switch {
	case kesclient.IsStatus(err, http.StatusNotFound):
		return &apiError{404, "kms:KeyNotFound", "key with given key ID does not exist"}
	case kesclient.IsStatus(err, http.StatusForbidden):
		return &apiError{403, "kms:NotAuthorized", "insufficient permissions to perform KMS operation"}
	case isKeyExists(err):
		return &apiError{409, "kms:KeyAlreadyExists", "key with given key ID already exits"} // [sic], §5
	case errors.As(err, &e) && e.Status == http.StatusBadRequest:
		return &apiError{400, "kms:BadRequest", e.Message}
	default:
		return &apiError{500, "InternalError", "kms: " + err.Error()}
	}
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: 200}
	s.route(sw, r)
	logx.Printf("minio", "%s %s %s %d %s", r.RemoteAddr, r.Method, r.URL.RequestURI(), sw.status, time.Since(start).Round(time.Microsecond))
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *server) route(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/minio/health/live":
		w.WriteHeader(http.StatusOK)
		return
	case "/minio/health/ready":
		// §6 pitfall 1: readiness runs a KES generate on the default key.
		if !s.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if s.kms != nil {
			if err := s.kms.ready(); err != nil {
				logx.Printf("minio", "ready: KMS: %v", err)
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
		return
	case "/minio/bootstrap/v1/verify":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"env": envHashes()})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 256<<20))
	if err != nil {
		s.writeError(w, r, &apiError{400, "IncompleteBody", err.Error()})
		return
	}
	if _, err := sigv4.Verify(r, body, func(ak string) (string, bool) { return s.rootPassword, ak == s.rootUser }, time.Now()); err != nil {
		var se *sigv4.Error
		errors.As(err, &se)
		status := http.StatusForbidden
		switch se.Code {
		case "XAmzContentSHA256Mismatch", "InvalidRequest", "AuthorizationHeaderMalformed":
			status = http.StatusBadRequest
		case "NotImplemented":
			status = http.StatusNotImplemented
		}
		s.writeError(w, r, &apiError{status, se.Code, se.Message})
		return
	}
	if !s.ready.Load() {
		s.writeError(w, r, &apiError{503, "XMinioServerNotInitialized", "Server not initialized, please try again."})
		return
	}
	if strings.HasPrefix(r.URL.Path, "/minio/") {
		s.admin(w, r)
		return
	}
	bucket, object, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	_, encQ := q["encryption"]
	_, locQ := q["location"]
	var aerr *apiError
	switch {
	case bucket == "":
		aerr = errNotImpl
	case object == "" && encQ:
		switch r.Method {
		case http.MethodPut:
			aerr = s.putBucketEncryption(bucket, body)
		case http.MethodGet:
			aerr = s.getBucketEncryption(w, bucket)
		case http.MethodDelete:
			if aerr = s.bucketExists(bucket); aerr == nil {
				os.Remove(s.sseFile(bucket))
				w.WriteHeader(http.StatusNoContent)
			}
		default:
			aerr = errNotImpl
		}
	case object == "" && locQ && r.Method == http.MethodGet:
		if aerr = s.bucketExists(bucket); aerr == nil {
			w.Header().Set("Content-Type", "application/xml")
			io.WriteString(w, xml.Header+`<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`)
		}
	case object == "" && r.Method == http.MethodPut:
		aerr = s.makeBucket(bucket)
	case object == "" && r.Method == http.MethodHead:
		aerr = s.bucketExists(bucket)
	case object == "":
		aerr = errNotImpl
	case r.Method == http.MethodPut:
		aerr = s.putObject(w, r, bucket, object, body)
	case r.Method == http.MethodHead || r.Method == http.MethodGet:
		aerr = s.getObject(w, r, bucket, object)
	default:
		aerr = errNotImpl
	}
	if aerr != nil {
		s.writeError(w, r, aerr)
	}
}

func (s *server) writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	if r.Method == http.MethodHead {
		return
	}
	type errorResponse struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		Resource  string
		RequestID string `xml:"RequestId"`
	}
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(errorResponse{Code: e.Code, Message: e.Message, Resource: r.URL.Path, RequestID: strconv.FormatInt(time.Now().UnixNano(), 16)})
}

// admin serves the KMS admin API of §5: POST /minio/kms/v1/key/create?key-id=NAME and the older
// /minio/admin/v3/kms/key/create. Errors are JSON, as in the admin API.
func (s *server) admin(w http.ResponseWriter, r *http.Request) {
	writeErr := func(e *apiError) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.Status)
		json.NewEncoder(w).Encode(map[string]string{"Code": e.Code, "Message": e.Message, "Resource": r.URL.Path})
	}
	switch r.URL.Path {
	case "/minio/kms/v1/key/create", "/minio/admin/v3/kms/key/create":
	default:
		writeErr(&apiError{400, "XMinioAdminAPINotImplemented", "stand-in: admin API not implemented: " + r.URL.Path})
		return
	}
	if r.Method != http.MethodPost {
		writeErr(&apiError{405, "MethodNotAllowed", "The specified method is not allowed against this resource."})
		return
	}
	if s.kms == nil {
		writeErr(&apiError{501, "NotImplemented", "KMS is not configured"})
		return
	}
	keyID := r.URL.Query().Get("key-id")
	if keyID == "" {
		writeErr(&apiError{400, "XMinioInvalidKeyID", "key-id is required"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if err := s.kms.client.CreateKey(ctx, keyID); err != nil {
		e := kmsError(err)
		if isKeyExists(err) {
			// §5 [inferred]: toAdminAPIErr has no kms.Error case, so the answer is 500
			// InternalError carrying the KMS text "key with given key ID already exits" [sic].
			e = &apiError{500, "InternalError", e.Message}
		}
		writeErr(e)
		return
	}
	w.WriteHeader(http.StatusOK)
}

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func (s *server) bucketDir(b string) string { return filepath.Join(s.drive, b) }
func (s *server) metaDir() string           { return filepath.Join(s.drive, ".minio.sys", "standin") }
func (s *server) sseFile(b string) string {
	return filepath.Join(s.metaDir(), "buckets", b, "encryption.xml")
}
func (s *server) objMetaFile(b, o string) string {
	return filepath.Join(s.metaDir(), "objects", b, filepath.FromSlash(o)+".json")
}

func (s *server) bucketExists(b string) *apiError {
	if !bucketName.MatchString(b) {
		return &apiError{400, "InvalidBucketName", "The specified bucket is not valid."}
	}
	if st, err := os.Stat(s.bucketDir(b)); err != nil || !st.IsDir() {
		return errNoSuchBucket
	}
	return nil
}

func (s *server) makeBucket(b string) *apiError {
	if !bucketName.MatchString(b) || strings.Contains(b, "..") {
		return &apiError{400, "InvalidBucketName", "The specified bucket is not valid."}
	}
	err := os.Mkdir(s.bucketDir(b), 0o755)
	if errors.Is(err, os.ErrExist) {
		return &apiError{409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it."}
	}
	if err != nil {
		return &apiError{500, "InternalError", err.Error()}
	}
	return nil
}

type sseConfig struct {
	XMLName xml.Name `xml:"ServerSideEncryptionConfiguration"`
	Rules   []struct {
		Apply struct {
			SSEAlgorithm   string `xml:"SSEAlgorithm"`
			KMSMasterKeyID string `xml:"KMSMasterKeyID"`
		} `xml:"ApplyServerSideEncryptionByDefault"`
	} `xml:"Rule"`
}

// parseSSE validates a bucket SSE config as §5 describes: exactly one rule; aws:kms needs a key
// id (the "arn:aws:kms:" prefix is optional and stripped; surrounding spaces are rejected);
// AES256 has none.
func parseSSE(body []byte) (alg, keyID string, aerr *apiError) {
	var c sseConfig
	if err := xml.Unmarshal(body, &c); err != nil {
		return "", "", malformed("The XML you provided was not well-formed or did not validate against our published schema.")
	}
	if len(c.Rules) != 1 {
		return "", "", malformed("only one server-side encryption rule is allowed")
	}
	a := c.Rules[0].Apply
	switch a.SSEAlgorithm {
	case "aws:kms":
		if a.KMSMasterKeyID == "" {
			return "", "", malformed("MasterKeyID is missing with aws:kms")
		}
		if strings.TrimSpace(a.KMSMasterKeyID) != a.KMSMasterKeyID {
			return "", "", malformed("MasterKeyID contains unsupported characters") // [inferred] code/text
		}
		return a.SSEAlgorithm, strings.TrimPrefix(a.KMSMasterKeyID, arnPrefix), nil
	case "AES256":
		if a.KMSMasterKeyID != "" {
			return "", "", malformed("MasterKeyID is allowed only with aws:kms") // [inferred]
		}
		return a.SSEAlgorithm, "", nil
	default:
		return "", "", malformed("Unknown SSE algorithm")
	}
}

func (s *server) putBucketEncryption(b string, body []byte) *apiError {
	if e := s.bucketExists(b); e != nil {
		return e
	}
	alg, keyID, aerr := parseSSE(body)
	if aerr != nil {
		return aerr
	}
	if s.kms == nil {
		return errKMSNotConfig
	}
	if alg == "aws:kms" {
		// §5: MinIO validates the key with a KES generate.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, _, err := s.kms.client.GenerateKey(ctx, keyID, nil); err != nil {
			return kmsError(err)
		}
	}
	// Stored as sent, so GET returns the key id as sent (§5 "keyId is stored as sent").
	if err := os.MkdirAll(filepath.Dir(s.sseFile(b)), 0o755); err != nil {
		return &apiError{500, "InternalError", err.Error()}
	}
	if err := os.WriteFile(s.sseFile(b), body, 0o644); err != nil {
		return &apiError{500, "InternalError", err.Error()}
	}
	return nil
}

func (s *server) getBucketEncryption(w http.ResponseWriter, b string) *apiError {
	if e := s.bucketExists(b); e != nil {
		return e
	}
	data, err := os.ReadFile(s.sseFile(b))
	if err != nil {
		return errSSEConfigNone
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Write(data)
	return nil
}

type objMeta struct {
	Size         int64             `json:"size"`
	ETag         string            `json:"etag"`
	ContentType  string            `json:"contentType"`
	LastModified time.Time         `json:"lastModified"`
	SSE          string            `json:"sse,omitempty"` // "aws:kms" or "AES256"
	KeyID        string            `json:"keyId,omitempty"`
	SealedKey    []byte            `json:"sealedKey,omitempty"` // KES ciphertext of the data key
	Context      []byte            `json:"context,omitempty"`
	UserMeta     map[string]string `json:"userMeta,omitempty"`
}

func validObject(o string) bool {
	if o == "" || strings.HasPrefix(o, "/") || strings.HasSuffix(o, "/") {
		return false
	}
	for _, seg := range strings.Split(o, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

func (s *server) putObject(w http.ResponseWriter, r *http.Request, b, o string, body []byte) *apiError {
	if e := s.bucketExists(b); e != nil {
		return e
	}
	if !validObject(o) {
		return &apiError{400, "XMinioInvalidObjectName", "Object name contains unsupported characters."}
	}
	if r.Header.Get("X-Amz-Copy-Source") != "" || r.Header.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "" {
		return errNotImpl
	}
	m := objMeta{Size: int64(len(body)), ContentType: r.Header.Get("Content-Type"), LastModified: time.Now().UTC(), UserMeta: map[string]string{}}
	if m.ContentType == "" {
		m.ContentType = "application/octet-stream"
	}
	for k, v := range r.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-meta-") {
			m.UserMeta[k] = strings.Join(v, ",")
		}
	}
	sum := md5.Sum(body)
	m.ETag = hex.EncodeToString(sum[:])

	// Effective SSE: request headers, else the bucket default, else MINIO_KMS_AUTO_ENCRYPTION
	// (SSE-KMS with the default key, §4.1).
	m.SSE = r.Header.Get("X-Amz-Server-Side-Encryption")
	m.KeyID = strings.TrimPrefix(r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"), arnPrefix)
	if m.SSE == "" {
		if data, err := os.ReadFile(s.sseFile(b)); err == nil {
			if alg, key, e := parseSSE(data); e == nil {
				m.SSE, m.KeyID = alg, key
			}
		} else if s.autoEncrypt {
			m.SSE = "aws:kms"
		}
	}
	data := body
	switch m.SSE {
	case "":
	case "aws:kms", "AES256":
		if s.kms == nil {
			return errKMSNotConfig
		}
		keyForKMS := m.KeyID
		if m.SSE == "AES256" || keyForKMS == "" {
			keyForKMS = s.kms.defaultKey // SSE-S3 and SSE-KMS without a key id use the default key
		}
		if m.SSE == "aws:kms" {
			m.KeyID = keyForKMS
		}
		m.Context, _ = json.Marshal(map[string]string{b: b + "/" + o})
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		plain, sealed, err := s.kms.client.GenerateKey(ctx, keyForKMS, m.Context)
		if err != nil {
			return kmsError(err)
		}
		m.SealedKey = sealed
		if data, err = aesSeal(plain, body); err != nil {
			return &apiError{500, "InternalError", err.Error()}
		}
	default:
		return &apiError{400, "InvalidArgument", "Server Side Encryption with unknown algorithm"}
	}
	file := filepath.Join(s.bucketDir(b), filepath.FromSlash(o))
	metaFile := s.objMetaFile(b, o)
	meta, _ := json.Marshal(m)
	for _, f := range []struct {
		path string
		data []byte
	}{{file, data}, {metaFile, meta}} {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return &apiError{500, "InternalError", err.Error()}
		}
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			return &apiError{500, "InternalError", err.Error()}
		}
	}
	w.Header().Set("ETag", `"`+m.ETag+`"`)
	setSSEHeaders(w, &m)
	w.WriteHeader(http.StatusOK)
	return nil
}

// setSSEHeaders: MinIO returns the KMS key id with the "arn:aws:kms:" prefix (§5 mc stat row).
func setSSEHeaders(w http.ResponseWriter, m *objMeta) {
	if m.SSE == "" {
		return
	}
	w.Header().Set("X-Amz-Server-Side-Encryption", m.SSE)
	if m.SSE == "aws:kms" {
		w.Header().Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", arnPrefix+m.KeyID)
	}
}

func (s *server) getObject(w http.ResponseWriter, r *http.Request, b, o string) *apiError {
	if e := s.bucketExists(b); e != nil {
		return e
	}
	if !validObject(o) {
		return errNoSuchKey
	}
	raw, err := os.ReadFile(s.objMetaFile(b, o))
	if err != nil {
		return errNoSuchKey
	}
	var m objMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return &apiError{500, "InternalError", err.Error()}
	}
	var data []byte
	if r.Method == http.MethodGet {
		if data, err = os.ReadFile(filepath.Join(s.bucketDir(b), filepath.FromSlash(o))); err != nil {
			return errNoSuchKey
		}
		if m.SSE != "" {
			if s.kms == nil {
				return errKMSNotConfig
			}
			key := m.KeyID
			if m.SSE == "AES256" {
				key = s.kms.defaultKey
			}
			ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
			defer cancel()
			plain, err := s.kms.client.Decrypt(ctx, key, m.SealedKey, m.Context)
			if err != nil {
				return kmsError(err)
			}
			if data, err = aesOpen(plain, data); err != nil {
				return &apiError{500, "InternalError", "object decryption failed: " + err.Error()}
			}
		}
	}
	h := w.Header()
	h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
	h.Set("Content-Type", m.ContentType)
	h.Set("ETag", `"`+m.ETag+`"`)
	h.Set("Last-Modified", m.LastModified.Format(http.TimeFormat))
	for k, v := range m.UserMeta {
		h.Set(k, v)
	}
	setSSEHeaders(w, &m)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(data)
	}
	return nil
}

func aesSeal(key, plaintext []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	return gcm.Seal(nonce, nonce, plaintext, nil), nil
}

func aesOpen(key, data []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(data) < gcm.NonceSize() {
		return nil, fmt.Errorf("short ciphertext")
	}
	return gcm.Open(nil, data[:gcm.NonceSize()], data[gcm.NonceSize():], nil)
}
