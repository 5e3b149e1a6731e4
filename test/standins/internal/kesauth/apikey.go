// Package kesauth implements KES API keys and identities as described in kes-minio.md §2.
// It is written from that description, not from the AGPL kms-go code.
package kesauth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"time"
)

// Prefix of every API key string (kes-minio.md §2).
const Prefix = "kes:v1:"

// APIKey is a parsed "kes:v1:" key: an Ed25519 private key.
type APIKey struct {
	priv ed25519.PrivateKey
}

// ParseAPIKey parses "kes:v1:" + base64std(0x00 || seed32) (kes-minio.md §2).
// As upstream, the prefix is removed with TrimPrefix, so a bare base64 payload also parses.
func ParseAPIKey(s string) (*APIKey, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, Prefix))
	if err != nil {
		return nil, errors.New("kes: invalid API key: " + err.Error())
	}
	if len(raw) != 1+ed25519.SeedSize {
		return nil, errors.New("kes: invalid API key: invalid length")
	}
	if raw[0] != 0 { // key type 0 = Ed25519
		return nil, errors.New("kes: invalid API key: unsupported key type")
	}
	return &APIKey{priv: ed25519.NewKeyFromSeed(raw[1:])}, nil
}

// NewAPIKey returns a fresh random API key and its string form.
func NewAPIKey() (*APIKey, string) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		panic(err)
	}
	k := &APIKey{priv: ed25519.NewKeyFromSeed(seed)}
	return k, k.String()
}

// String is the "kes:v1:" form.
func (k *APIKey) String() string {
	return Prefix + base64.StdEncoding.EncodeToString(append([]byte{0}, k.priv.Seed()...))
}

// Identity is hex(sha256(SubjectPublicKeyInfo DER)) of the Ed25519 public key (kes-minio.md §2).
func (k *APIKey) Identity() string {
	spki, err := x509.MarshalPKIXPublicKey(k.priv.Public())
	if err != nil {
		panic(err)
	}
	return hexSHA256(spki)
}

// CertIdentity is hex(sha256(cert.RawSubjectPublicKeyInfo)) for any key type (kes-minio.md §2).
func CertIdentity(cert *x509.Certificate) string {
	return hexSHA256(cert.RawSubjectPublicKeyInfo)
}

func hexSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Certificate builds the in-memory self-signed client certificate MinIO presents for an API
// key: CN = identity, EKU ClientAuth, valid 90 days (kes-minio.md §2, "How MinIO uses an API key").
func (k *APIKey) Certificate() (tls.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: k.Identity()},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(90 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.priv.Public(), k.priv)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k.priv, Leaf: leaf}, nil
}
