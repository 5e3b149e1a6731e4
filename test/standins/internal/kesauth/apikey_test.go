package kesauth

import (
	"strings"
	"testing"
)

// Vectors from kes-minio.md §2 "Test vectors".
func TestAPIKeyIdentityVectors(t *testing.T) {
	vectors := map[string]string{
		"kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8NAs": "ea9826089311fe44d7590408ede9150f7c637b6cab0a91ee6fe1aa5d9fb366f6",
		"kes:v1:ACQpoGqx3rHHjT938Hfu5hVVQJHZWSqVI2Xp1KlYxFVw": "0426fa9a04bc2756b92fbe8a97e1a1e07b53ecf04ed33da22c33e5c9faeb8cbb",
		"kes:v1:AMxvd2uV1l5dDSRwuKZxSjuM5BDemlr+685+JAHA1TuJ": "ab785e3b95d80d72cc9c27cb9fde886a0bf9068a69d40e3bd08a54e68c3f2bf7",
	}
	for key, want := range vectors {
		k, err := ParseAPIKey(key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if got := k.Identity(); got != want {
			t.Errorf("%s: identity %s, want %s", key, got, want)
		}
		if k.String() != key {
			t.Errorf("round trip: %s != %s", k.String(), key)
		}
		// The self-signed certificate MinIO builds has the same identity (§2).
		cert, err := k.Certificate()
		if err != nil {
			t.Fatal(err)
		}
		if got := CertIdentity(cert.Leaf); got != want {
			t.Errorf("cert identity %s, want %s", got, want)
		}
		if cert.Leaf.Subject.CommonName != want {
			t.Errorf("CN %q, want identity", cert.Leaf.Subject.CommonName)
		}
	}
}

func TestAPIKeyInvalid(t *testing.T) {
	for _, bad := range []string{
		"v1:AM0F5vAZo3bLBh8APpxcUqLh2rYHu8z4Oi06m3WuAAnQ",
		"kes:AM0F5vAZo3bLBh8APpxcUqLh2rYHu8z4Oi06m3WuAAnQ",
		"kes:v1:sbDvZFqUPFFwxRS4EkuoEb2nyyInkdKSUEYHXFHeTouW", // type byte != 0
		"kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8N",   // too short
	} {
		if _, err := ParseAPIKey(bad); err == nil {
			t.Errorf("%s: parsed, want error", bad)
		}
	}
	_, s := NewAPIKey()
	if len(s) != 51 || !strings.HasPrefix(s, Prefix) {
		t.Errorf("new key %q: want 51 chars with prefix", s)
	}
}
