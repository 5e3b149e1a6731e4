package main

// Parsing and validation of the KES server config file (kes-minio.md §1.1, §1.2).

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// fileConfig mirrors the YAML keys of §1.1. Unknown keys are silently ignored, as upstream
// decodes without KnownFields (§1.1).
type fileConfig struct {
	Version string `yaml:"version"`
	Address string `yaml:"address"`
	Admin   struct {
		Identity string `yaml:"identity"`
	} `yaml:"admin"`
	TLS struct {
		Key      string `yaml:"key"`
		Cert     string `yaml:"cert"`
		Password string `yaml:"password"`
		Auth     string `yaml:"auth"`
		CA       string `yaml:"ca"`
		Proxy    struct {
			Identities []string `yaml:"identities"`
		} `yaml:"proxy"`
	} `yaml:"tls"`
	API map[string]struct {
		SkipAuth bool   `yaml:"skip_auth"`
		Timeout  string `yaml:"timeout"`
	} `yaml:"api"`
	Policy map[string]struct {
		Allow      []string `yaml:"allow"`
		Deny       []string `yaml:"deny"`
		Identities []string `yaml:"identities"`
	} `yaml:"policy"`
	Cache struct {
		Expiry struct {
			Any     string `yaml:"any"`
			Unused  string `yaml:"unused"`
			Offline string `yaml:"offline"`
		} `yaml:"expiry"`
	} `yaml:"cache"`
	Log struct {
		Error string `yaml:"error"`
		Audit string `yaml:"audit"`
	} `yaml:"log"`
	Keys []struct {
		Name string `yaml:"name"`
	} `yaml:"keys"`
	Keystore map[string]yaml.Node `yaml:"keystore"`
}

type policy struct {
	name        string
	allow, deny []string
}

// config is a validated configuration, ready to be served.
type config struct {
	address   string
	admin     string
	policies  map[string]*policy // by identity
	skipAuth  map[string]bool    // by route path, e.g. "/v1/ready"
	tls       *tls.Config
	fsPath    string
	auditLog  bool
	certFile  string
	keysToAdd []string
}

// substituteEnv replaces every scalar value written as "${VAR}" with the environment value
// and fails when VAR is unset (kes-minio.md §1.1 "Value substitution" [verified]).
func substituteEnv(n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if err := substituteEnv(c); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 { // values only, never keys
			if err := substituteEnv(n.Content[i]); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		t := strings.TrimSpace(n.Value)
		if strings.HasPrefix(t, "${") && strings.HasSuffix(t, "}") {
			name := strings.TrimSpace(t[2 : len(t)-1])
			v, ok := os.LookupEnv(name)
			if !ok {
				return fmt.Errorf("kesconf: referenced env. variable '%s' not found", name)
			}
			n.Value, n.Tag, n.Style = v, "", 0
		}
	}
	return nil
}

// backends lists the keystore names of §1.2. "kes" is parsed upstream but never wired up, so
// on its own it ends in "no keystore specified" (§1.2 [inferred]); it is not listed here.
var backends = []string{"fs", "vault", "aws", "gcp", "azure", "entrust", "fortanix", "gemalto"}

func loadConfig(file string) (*config, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("kesconf: failed to read config file: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("kesconf: invalid YAML: %w", err)
	}
	if err := substituteEnv(&root); err != nil {
		return nil, err
	}
	var y fileConfig
	if len(root.Content) > 0 {
		if err := root.Decode(&y); err != nil {
			return nil, fmt.Errorf("kesconf: invalid config: %w", err)
		}
	}

	// §1.1 version: optional, only "v1".
	if y.Version != "" && y.Version != "v1" {
		return nil, fmt.Errorf("kesconf: invalid config version '%s': only 'v1' is supported", y.Version)
	}
	c := &config{address: "0.0.0.0:7373", policies: map[string]*policy{}, skipAuth: map[string]bool{}, certFile: y.TLS.Cert}
	if a := strings.TrimSpace(y.Address); a != "" {
		c.address = a
	}
	// §1.1 admin.identity: required and non-empty. A value that is not a hash disables the admin.
	c.admin = strings.TrimSpace(y.Admin.Identity)
	if c.admin == "" {
		return nil, errors.New("kesconf: invalid admin identity: no admin identity")
	}
	// §1.1 tls.key and tls.cert are required.
	if y.TLS.Key == "" {
		return nil, errors.New("kesconf: invalid tls config: no private key specified")
	}
	if y.TLS.Cert == "" {
		return nil, errors.New("kesconf: invalid tls config: no certificate specified")
	}
	if y.TLS.Password != "" {
		// Encrypted PEM keys are not implemented by the stand-in.
		return nil, errors.New("kesconf: tls.password: encrypted private keys are not supported by the stand-in")
	}
	proxies := map[string]bool{}
	for _, id := range y.TLS.Proxy.Identities {
		if id = strings.TrimSpace(id); id != "" {
			proxies[id] = true
		}
	}

	// §1.1 policy: an identity may not be the admin or a proxy, and belongs to at most one policy.
	for name, p := range y.Policy {
		pol := &policy{name: name, allow: p.Allow, deny: p.Deny}
		for _, id := range p.Identities {
			id = strings.TrimSpace(id)
			if id == "" {
				continue // [inferred] empty identities (e.g. from an empty ${VAR}) are skipped
			}
			if id == c.admin {
				return nil, fmt.Errorf("kesconf: invalid policy '%s': identity '%s' is the admin identity", name, id)
			}
			if proxies[id] {
				return nil, fmt.Errorf("kesconf: invalid policy '%s': identity '%s' is a TLS proxy identity", name, id)
			}
			if other, ok := c.policies[id]; ok {
				return nil, fmt.Errorf("kesconf: invalid policy '%s': identity '%s' is already assigned to policy '%s'", name, id, other.name)
			}
			c.policies[id] = pol
		}
	}

	// §1.1 api: per-route skip_auth / timeout.
	for path, a := range y.API {
		if a.Timeout != "" {
			if _, err := time.ParseDuration(a.Timeout); err != nil {
				return nil, fmt.Errorf("kesconf: invalid api timeout for '%s': %v", path, err)
			}
		}
		if a.SkipAuth {
			c.skipAuth[strings.TrimSuffix(path, "/")] = true
		}
	}

	// §1.1 cache: durations only (the stand-in has no cache).
	for name, v := range map[string]string{"any": y.Cache.Expiry.Any, "unused": y.Cache.Expiry.Unused, "offline": y.Cache.Expiry.Offline} {
		if v == "" {
			continue
		}
		if _, err := time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("kesconf: invalid cache expiry '%s': %v", name, err)
		}
	}

	// §1.1 log: on/off or slog levels [inferred: other values are rejected].
	for name, v := range map[string]string{"error": y.Log.Error, "audit": y.Log.Audit} {
		if !validLogLevel(v) {
			return nil, fmt.Errorf("kesconf: invalid %s log level '%s'", name, v)
		}
	}
	c.auditLog = y.Log.Audit != "" && !strings.EqualFold(y.Log.Audit, "off")

	// §1.1 keys: names must be valid and unique. They are NOT created at startup, as in every
	// tagged KES release from 2023-10-24 to 2025-03-12 (§1.3, §6 pitfall 4).
	seen := map[string]bool{}
	for _, k := range y.Keys {
		if !validKeyName(k.Name) {
			return nil, fmt.Errorf("kesconf: invalid key name '%s'", k.Name)
		}
		if seen[k.Name] {
			return nil, fmt.Errorf("kesconf: key '%s' is defined more than once", k.Name)
		}
		seen[k.Name] = true
		c.keysToAdd = append(c.keysToAdd, k.Name)
	}

	// §1.2 keystore: exactly one backend.
	var chosen []string
	for _, b := range backends {
		if n, ok := y.Keystore[b]; ok && !(n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
			chosen = append(chosen, b)
		}
	}
	switch {
	case len(chosen) == 0:
		return nil, errors.New("kesconf: no keystore specified")
	case len(chosen) > 1:
		return nil, errors.New("kesconf: invalid keystore config: more than once keystore specified")
	case chosen[0] != "fs":
		return nil, fmt.Errorf("kes STAND-IN: keystore '%s' is valid KES config, but the stand-in supports only the fs keystore", chosen[0])
	}
	fsNode := y.Keystore["fs"]
	var fs struct {
		Path string `yaml:"path"`
	}
	if err := fsNode.Decode(&fs); err != nil {
		return nil, fmt.Errorf("kesconf: invalid fs keystore: %w", err)
	}
	if fs.Path == "" {
		return nil, errors.New("kesconf: invalid fs keystore: no path specified")
	}
	c.fsPath = fs.Path

	// TLS: load the key pair; the certificate must carry a DNS or IP SAN (§1.1, §6 pitfall 2).
	cert, err := tls.LoadX509KeyPair(y.TLS.Cert, y.TLS.Key)
	if err != nil {
		return nil, fmt.Errorf("kesconf: failed to load TLS certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("kesconf: failed to parse TLS certificate: %w", err)
	}
	if len(leaf.DNSNames) == 0 && len(leaf.IPAddresses) == 0 {
		return nil, errors.New("kesconf: invalid TLS certificate: certificate does not contain any DNS or IP address as SAN")
	}
	var pool *x509.CertPool
	if y.TLS.CA != "" {
		if pool, err = loadCAs(y.TLS.CA); err != nil {
			return nil, err
		}
	}
	// §1.1 tls.auth: ""/off → RequireAnyClientCert, on → RequireAndVerifyClientCert; any
	// skip_auth route relaxes it to RequestClientCert / VerifyClientCertIfGiven.
	mode := tls.RequireAnyClientCert
	switch strings.ToLower(strings.TrimSpace(y.TLS.Auth)) {
	case "", "off":
		if len(c.skipAuth) > 0 {
			mode = tls.RequestClientCert
		}
	case "on":
		mode = tls.RequireAndVerifyClientCert
		if len(c.skipAuth) > 0 {
			mode = tls.VerifyClientCertIfGiven
		}
	default:
		return nil, fmt.Errorf("kesconf: invalid tls auth '%s': must be 'on' or 'off'", y.TLS.Auth) // [inferred]
	}
	c.tls = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   mode,
		ClientCAs:    pool,
		RootCAs:      pool,
	}
	return c, nil
}

func validLogLevel(v string) bool {
	switch u := strings.ToUpper(strings.TrimSpace(v)); {
	case u == "", u == "ON", u == "OFF":
		return true
	default:
		for _, l := range []string{"DEBUG", "INFO", "WARN", "ERROR"} {
			if u == l || strings.HasPrefix(u, l+"+") || strings.HasPrefix(u, l+"-") {
				return true
			}
		}
		return false
	}
}

// loadCAs reads PEM certificates from a file or every file of a directory (§1.1 tls.ca).
func loadCAs(path string) (*x509.CertPool, error) {
	files := []string{path}
	if st, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("kesconf: invalid tls.ca: %w", err)
	} else if st.IsDir() {
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
	pool := x509.NewCertPool()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for {
			var b *pem.Block
			if b, data = pem.Decode(data); b == nil {
				break
			}
			if cert, err := x509.ParseCertificate(b.Bytes); err == nil {
				pool.AddCert(cert)
			}
		}
	}
	return pool, nil
}
