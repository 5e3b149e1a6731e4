// Package sigv4 signs and verifies AWS Signature Version 4 requests (header form only), as
// used between the mc stand-in and the MinIO stand-in (kes-minio.md §5: S3 and the admin/KMS
// API are SigV4-signed with the root credentials). Presigned URLs and streaming (chunked)
// payloads are not supported.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

const (
	Algorithm       = "AWS4-HMAC-SHA256"
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	timeFormat      = "20060102T150405Z"
	maxSkew         = 15 * time.Minute
)

// EmptySHA256 is hex(sha256("")).
var EmptySHA256 = HashHex(nil)

// HashHex is the lowercase hex SHA-256 of b.
func HashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// encode is the AWS URI encoding: unreserved characters stay, everything else is %XX.
func encode(s string, keepSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// EncodePath URI-encodes a decoded path for the request line and the canonical request.
func EncodePath(p string) string {
	if p == "" {
		return "/"
	}
	return encode(p, true)
}

func canonicalQuery(q url.Values) string {
	var parts []string
	for k, vs := range q {
		for _, v := range vs {
			parts = append(parts, encode(k, false)+"="+encode(v, false))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "&")
}

// CanonicalRequest builds the SigV4 canonical request. headers maps lowercase names to values.
func CanonicalRequest(method, path string, query url.Values, headers map[string]string, signed []string, payloadHash string) string {
	var ch strings.Builder
	for _, h := range signed {
		ch.WriteString(h + ":" + strings.Join(strings.Fields(headers[h]), " ") + "\n")
	}
	return strings.Join([]string{method, EncodePath(path), canonicalQuery(query), ch.String(), strings.Join(signed, ";"), payloadHash}, "\n")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// Signature computes the hex signature of a canonical request.
func Signature(secret, date8, region, service, amzDate, canonical string) string {
	scope := date8 + "/" + region + "/" + service + "/aws4_request"
	sts := Algorithm + "\n" + amzDate + "\n" + scope + "\n" + HashHex([]byte(canonical))
	k := hmacSHA256([]byte("AWS4"+secret), date8)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, sts))
}

// Sign adds X-Amz-Date, X-Amz-Content-Sha256 and Authorization to req. The request's URL
// path must be the decoded path; req.URL.RawPath is set to the AWS encoding so the wire form
// and the signed form agree.
func Sign(req *http.Request, accessKey, secretKey, region, service, payloadHash string, now time.Time) {
	amzDate := now.UTC().Format(timeFormat)
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	req.URL.RawPath = EncodePath(req.URL.Path)
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	headers := map[string]string{"host": host}
	signed := []string{"host"}
	for name := range req.Header {
		l := strings.ToLower(name)
		if strings.HasPrefix(l, "x-amz-") || l == "content-type" || l == "content-md5" {
			headers[l] = strings.Join(req.Header.Values(name), ",")
			signed = append(signed, l)
		}
	}
	sort.Strings(signed)
	canonical := CanonicalRequest(req.Method, req.URL.Path, req.URL.Query(), headers, signed, payloadHash)
	sig := Signature(secretKey, amzDate[:8], region, service, amzDate, canonical)
	req.Header.Set("Authorization", fmt.Sprintf("%s Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
		Algorithm, accessKey, amzDate[:8], region, service, strings.Join(signed, ";"), sig))
}

// Error is a verification failure with its S3 error code.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Verify checks the Authorization header of r against the secret for its access key, and
// the payload hash against body. It returns the access key on success.
func Verify(r *http.Request, body []byte, secretFor func(accessKey string) (string, bool), now time.Time) (string, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "", &Error{"AccessDenied", "Access Denied."}
	}
	if !strings.HasPrefix(auth, Algorithm+" ") {
		return "", &Error{"SignatureDoesNotMatch", "unsupported signature algorithm (the stand-in supports only SigV4 headers)"}
	}
	fields := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(auth, Algorithm+" "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/")
	if len(cred) != 5 || cred[4] != "aws4_request" || fields["SignedHeaders"] == "" || fields["Signature"] == "" {
		return "", &Error{"AuthorizationHeaderMalformed", "The authorization header is malformed."}
	}
	accessKey, date8, region, service := cred[0], cred[1], cred[2], cred[3]
	secret, ok := secretFor(accessKey)
	if !ok {
		return "", &Error{"InvalidAccessKeyId", "The Access Key Id you provided does not exist in our records."}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(timeFormat, amzDate)
	if err != nil || !strings.HasPrefix(amzDate, date8) {
		return "", &Error{"AccessDenied", "X-Amz-Date is missing or malformed."}
	}
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return "", &Error{"RequestTimeTooSkewed", "The difference between the request time and the server's time is too large."}
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case payload == "":
		return "", &Error{"InvalidRequest", "Missing required header for this request: x-amz-content-sha256"}
	case payload == UnsignedPayload:
	case strings.HasPrefix(payload, "STREAMING-"):
		return "", &Error{"NotImplemented", "streaming signatures are not supported by the stand-in"}
	case payload != HashHex(body):
		return "", &Error{"XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	headers := map[string]string{}
	hasHost := false
	for _, h := range signed {
		if h == "host" {
			hasHost = true
			headers[h] = r.Host
			continue
		}
		headers[h] = strings.Join(r.Header.Values(h), ",")
	}
	if !hasHost {
		return "", &Error{"AccessDenied", "host must be a signed header"}
	}
	canonical := CanonicalRequest(r.Method, r.URL.Path, r.URL.Query(), headers, signed, payload)
	want := Signature(secret, date8, region, service, amzDate, canonical)
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return "", &Error{"SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
	return accessKey, nil
}
