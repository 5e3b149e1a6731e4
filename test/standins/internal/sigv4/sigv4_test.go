package sigv4

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// AWS SigV4 test suite, "get-vanilla".
func TestAWSVector(t *testing.T) {
	headers := map[string]string{"host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"}
	c := CanonicalRequest("GET", "/", url.Values{}, headers, []string{"host", "x-amz-date"}, EmptySHA256)
	got := Signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "service", "20150830T123600Z", c)
	if want := "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

func TestSignVerify(t *testing.T) {
	body := []byte("<xml/>")
	now := time.Now()
	req, _ := http.NewRequest("PUT", "http://127.0.0.1:9000/bucket/a%20b+c?encryption", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/xml")
	Sign(req, "admin", "secret123", "us-east-1", "s3", HashHex(body), now)

	// Rebuild the request as a server would see it.
	srv := httptest.NewRequest("PUT", req.URL.String(), bytes.NewReader(body))
	srv.Host = req.URL.Host
	srv.Header = req.Header.Clone()
	secrets := func(ak string) (string, bool) { return "secret123", ak == "admin" }
	if _, err := Verify(srv, body, secrets, now); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if _, err := Verify(srv, []byte("tampered"), secrets, now); err == nil {
		t.Fatal("tampered body verified")
	}
	if _, err := Verify(srv, body, func(string) (string, bool) { return "other-secret", true }, now); err == nil {
		t.Fatal("wrong secret verified")
	}
	if _, err := Verify(srv, body, secrets, now.Add(time.Hour)); err == nil {
		t.Fatal("skewed request verified")
	}
}
