package main

// The fs keystore (kes-minio.md §1.2 "Filesystem (dev only)"): one file per key in `path`.
// Keys survive restarts. The stand-in-only knob `.sealed` (a file in the directory) makes the
// store behave like a sealed Vault: /v1/ready answers 504 and key operations fail (§6 pitfall 7).

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

var (
	errKeyExists    = errors.New("key already exists")
	errKeyNotFound  = errors.New("key does not exist")
	errSealed       = errors.New("fs: key store is sealed (stand-in knob: .sealed file present)")
	errNotAuthentic = errors.New("decryption failed: ciphertext is not authentic")
)

type keyFile struct {
	Key       []byte    `json:"key"`
	Algorithm string    `json:"algorithm"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

type fsStore struct{ dir string }

// openFS creates the directory if missing (§1.2: "the directory is created if missing").
func openFS(dir string) (*fsStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &fsStore{dir: dir}, nil
}

func (s *fsStore) sealed() bool {
	_, err := os.Stat(filepath.Join(s.dir, ".sealed"))
	return err == nil
}

// validKeyName is the KES rule of §3 / §6 pitfall 10: [A-Za-z0-9_-], at most 80 characters,
// no leading or trailing '-', not just "_".
func validKeyName(name string) bool {
	if name == "" || len(name) > 80 || name == "_" || name[0] == '-' || name[len(name)-1] == '-' {
		return false
	}
	for _, c := range name {
		ok := c == '-' || c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

// fsName applies the fs keystore's own rule on top (§1.2: no '/', '\' or '.').
func fsName(name string) error {
	if strings.ContainsAny(name, `/\.`) {
		return errors.New("fs: key name contains invalid character")
	}
	return nil
}

func (s *fsStore) create(name, createdBy string) error {
	if s.sealed() {
		return errSealed
	}
	if err := fsName(name); err != nil {
		return err
	}
	k := keyFile{Key: make([]byte, 32), Algorithm: "AES256", CreatedAt: time.Now().UTC(), CreatedBy: createdBy}
	if _, err := rand.Read(k.Key); err != nil {
		return err
	}
	data, _ := json.Marshal(k)
	f, err := os.OpenFile(filepath.Join(s.dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return errKeyExists
	}
	if err != nil {
		return err
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *fsStore) get(name string) (*keyFile, error) {
	if s.sealed() {
		return nil, errSealed
	}
	if err := fsName(name); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errKeyNotFound
	}
	if err != nil {
		return nil, err
	}
	var k keyFile
	if err := json.Unmarshal(data, &k); err != nil || len(k.Key) != 32 {
		return nil, errors.New("fs: corrupted key file")
	}
	return &k, nil
}

func (s *fsStore) delete(name string) error {
	if s.sealed() {
		return errSealed
	}
	if err := fsName(name); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return errKeyNotFound
	}
	return err
}

// list returns the names starting with prefix, sorted.
func (s *fsStore) list(prefix string) ([]string, error) {
	if s.sealed() {
		return nil, errSealed
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, e := range entries {
		if !e.IsDir() && !strings.Contains(e.Name(), ".") && strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// seal encrypts with AES-256-GCM, the context as associated data. Format: 0x01||nonce||sealed.
// (The upstream ciphertext format differs; MinIO treats it as opaque.)
func seal(key, plaintext, context []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{1}, nonce...)
	return gcm.Seal(out, nonce, plaintext, context), nil
}

func open(key, ciphertext, context []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(ciphertext) < 1+gcm.NonceSize() || ciphertext[0] != 1 {
		return nil, errNotAuthentic
	}
	nonce := ciphertext[1 : 1+gcm.NonceSize()]
	pt, err := gcm.Open(nil, nonce, ciphertext[1+gcm.NonceSize():], context)
	if err != nil {
		return nil, errNotAuthentic
	}
	return pt, nil
}
