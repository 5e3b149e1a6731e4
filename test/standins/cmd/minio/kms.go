package main

// KMS (KES) configuration from the environment, exactly per kes-minio.md §4.1, and the
// startup check of §6 pitfall 1.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"example.invalid/standins/internal/ellipsis"
	"example.invalid/standins/internal/kesauth"
	"example.invalid/standins/internal/kesclient"
	"example.invalid/standins/internal/logx"
)

// kesVars are the KES variables of §4.1. MINIO_KMS_KES_ENCLAVE was removed upstream and
// MINIO_KMS_KES_CA_PATH was never a MinIO variable (§6 pitfall 11): both are ignored.
var kesVars = []string{
	"MINIO_KMS_KES_ENDPOINT", "MINIO_KMS_KES_KEY_NAME", "MINIO_KMS_KES_API_KEY",
	"MINIO_KMS_KES_CERT_FILE", "MINIO_KMS_KES_KEY_FILE", "MINIO_KMS_KES_KEY_PASSWORD", "MINIO_KMS_KES_CAPATH",
}

type kms struct {
	defaultKey string
	client     *kesclient.Client
}

func present(name string) bool { _, ok := os.LookupEnv(name); return ok }

// kmsFromEnv returns nil when no KMS is configured.
func kmsFromEnv(certsDir string) (*kms, error) {
	kes := false
	for _, v := range kesVars {
		kes = kes || present(v)
	}
	static := present("MINIO_KMS_SECRET_KEY") || present("MINIO_KMS_SECRET_KEY_FILE")
	minkms := present("MINIO_KMS_SERVER")
	if present("MINIO_KMS_KES_CA_PATH") && !present("MINIO_KMS_KES_CAPATH") {
		// Upstream ignores it silently; the stand-in also ignores it and only says so.
		logx.Printf("minio", "note (stand-in): MINIO_KMS_KES_CA_PATH is not a MinIO variable and is ignored; the name is MINIO_KMS_KES_CAPATH")
	}
	// §4.1 exclusivity rule.
	switch {
	case kes && static:
		return nil, errors.New("kms: configuration for MinIO KES and static KMS key is present")
	case kes && minkms:
		return nil, errors.New("kms: configuration for MinIO KMS and MinIO KES is present")
	case !kes && (static || minkms):
		return nil, errors.New("minio STAND-IN: only the KES configuration (MINIO_KMS_KES_*) is supported, not MINIO_KMS_SECRET_KEY or MINIO_KMS_SERVER")
	case !kes:
		return nil, nil
	}

	// §4.1 MINIO_KMS_KES_ENDPOINT: required; comma-separated, each entry trimmed, ellipsis expanded.
	var endpoints []string
	for _, e := range strings.Split(os.Getenv("MINIO_KMS_KES_ENDPOINT"), ",") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		expanded, err := ellipsis.Expand(e)
		if err != nil {
			return nil, fmt.Errorf("kms: invalid MINIO_KMS_KES_ENDPOINT: %v", err)
		}
		for _, x := range expanded {
			u, err := url.Parse(x)
			if err != nil || u.Scheme != "https" || u.Host == "" {
				// [inferred] KES speaks only TLS, so an endpoint must be an https:// URL.
				return nil, fmt.Errorf("kms: invalid KES endpoint %q: must be an https:// URL", x)
			}
			endpoints = append(endpoints, x)
		}
	}
	if len(endpoints) == 0 {
		return nil, errors.New("kms: no KES endpoint: MINIO_KMS_KES_ENDPOINT is required when MINIO_KMS_KES_* variables are set")
	}
	// §4.1 MINIO_KMS_KES_KEY_NAME: required (§6 pitfall 5).
	keyName := strings.TrimSpace(os.Getenv("MINIO_KMS_KES_KEY_NAME"))
	if keyName == "" {
		return nil, errors.New("kms: no default key: MINIO_KMS_KES_KEY_NAME is required")
	}

	// §4.1 credentials: API key XOR client cert+key; cert and key both or neither.
	apiKey := os.Getenv("MINIO_KMS_KES_API_KEY")
	certFile, keyFile := os.Getenv("MINIO_KMS_KES_CERT_FILE"), os.Getenv("MINIO_KMS_KES_KEY_FILE")
	var clientCert tls.Certificate
	switch {
	case apiKey != "" && (certFile != "" || keyFile != ""):
		return nil, errors.New("kms: MINIO_KMS_KES_API_KEY and a client certificate (MINIO_KMS_KES_CERT_FILE/MINIO_KMS_KES_KEY_FILE) are mutually exclusive")
	case apiKey != "":
		k, err := kesauth.ParseAPIKey(apiKey)
		if err != nil {
			return nil, fmt.Errorf("kms: invalid MINIO_KMS_KES_API_KEY: %v", err)
		}
		// §2: an in-memory self-signed client cert, CN = identity, EKU ClientAuth.
		if clientCert, err = k.Certificate(); err != nil {
			return nil, err
		}
	case certFile == "" && keyFile == "":
		return nil, errors.New("kms: no KES client credentials: set MINIO_KMS_KES_API_KEY, or MINIO_KMS_KES_CERT_FILE and MINIO_KMS_KES_KEY_FILE")
	case certFile == "" || keyFile == "":
		return nil, errors.New("kms: both MINIO_KMS_KES_CERT_FILE and MINIO_KMS_KES_KEY_FILE are required when either is set")
	default:
		var err error
		if clientCert, err = loadKeyPair(certFile, keyFile, os.Getenv("MINIO_KMS_KES_KEY_PASSWORD")); err != nil {
			return nil, fmt.Errorf("kms: failed to load KES client certificate: %v", err)
		}
	}

	// §4.1 MINIO_KMS_KES_CAPATH: file or directory; default <certs-dir>/CAs. The stand-in adds
	// the system pool too ([unverified] upstream). Hostnames are checked as usual.
	caPath, explicit := os.LookupEnv("MINIO_KMS_KES_CAPATH")
	if !explicit || caPath == "" {
		caPath = filepath.Join(certsDir, "CAs")
	}
	pool, err := loadCAs(caPath, explicit && caPath != "")
	if err != nil {
		return nil, fmt.Errorf("kms: MINIO_KMS_KES_CAPATH: %v", err)
	}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			RootCAs:    pool,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				return &clientCert, nil
			},
		},
		ForceAttemptHTTP2: true,
	}
	return &kms{defaultKey: keyName, client: &kesclient.Client{Endpoints: endpoints, HTTP: &http.Client{Transport: tr}}}, nil
}

// loadKeyPair loads a PEM pair; a legacy encrypted PEM key is decrypted with password.
func loadKeyPair(certFile, keyFile, password string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	if password != "" {
		if b, _ := pem.Decode(keyPEM); b != nil && x509.IsEncryptedPEMBlock(b) { //nolint:staticcheck // legacy format
			der, err := x509.DecryptPEMBlock(b, []byte(password)) //nolint:staticcheck
			if err != nil {
				return tls.Certificate{}, err
			}
			keyPEM = pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: der})
		}
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// loadCAs returns the system pool plus the PEM certificates found at path (file or directory).
// A missing path is an error only when it was set explicitly.
func loadCAs(path string, mustExist bool) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	st, err := os.Stat(path)
	if err != nil {
		if mustExist {
			return nil, err
		}
		return pool, nil
	}
	files := []string{path}
	if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		files = nil
		for _, e := range entries {
			if !e.IsDir() {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil {
			pool.AppendCertsFromPEM(data)
		}
	}
	return pool, nil
}

// initDefaultKey is MinIO's startup check (§6 pitfall 1, §3 create row): generate on the default
// key; on "not found" create it; any error other than "already exists" or a permission error is
// fatal ("Failed to connect to KMS").
func (k *kms) initDefaultKey() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _, err := k.client.GenerateKey(ctx, k.defaultKey, nil)
	if kesclient.IsStatus(err, http.StatusNotFound) {
		logx.Printf("minio", "KMS: default key %q not found, creating it", k.defaultKey)
		err = k.client.CreateKey(ctx, k.defaultKey)
	}
	switch {
	case err == nil:
		return nil
	case isKeyExists(err):
		return nil
	case kesclient.IsStatus(err, http.StatusForbidden):
		// Ignored at startup, as upstream (§6 pitfall 5); later operations will fail.
		logx.Printf("minio", "WARNING: KMS: %v (ignored at startup)", err)
		return nil
	}
	return err
}

func isKeyExists(err error) bool {
	var e *kesclient.Error
	return errors.As(err, &e) && e.Status == http.StatusBadRequest && strings.Contains(e.Message, "already exists")
}

// ready runs a generate on the default key (§6 pitfall 1: /minio/health/ready depends on KES).
func (k *kms) ready() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := k.client.GenerateKey(ctx, k.defaultKey, nil)
	return err
}
