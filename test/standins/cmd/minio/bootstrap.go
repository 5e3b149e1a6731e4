package main

// Distributed bootstrap check: every node's MINIO_* environment (minus the skip list) must hash
// the same (kes-minio.md §4.2, §6 pitfall 11).

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"example.invalid/standins/internal/logx"
)

// skipEnvs: §4.2 names MINIO_OPTS, MINIO_ROOT_USER, MINIO_ROOT_PASSWORD, MINIO_ACCESS_KEY,
// MINIO_SECRET_KEY, MINIO_CERT_PASSWD "and a few others"; the others below are [inferred].
var skipEnvs = map[string]bool{
	"MINIO_OPTS": true, "MINIO_CERT_PASSWD": true, "MINIO_SERVER_DEBUG": true, "MINIO_DSYNC_TRACE": true,
	"MINIO_ROOT_USER": true, "MINIO_ROOT_PASSWORD": true, "MINIO_ACCESS_KEY": true, "MINIO_SECRET_KEY": true,
	"MINIO_OPERATOR_VERSION": true, "MINIO_VSPHERE_PLUGIN_VERSION": true, "MINIO_CI_CD": true,
}

// envHashes maps each MINIO_* name to the SHA-256 of its value.
func envHashes() map[string]string {
	out := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "MINIO_") && !skipEnvs[k] {
			h := sha256.Sum256([]byte(v))
			out[k] = hex.EncodeToString(h[:])
		}
	}
	return out
}

func diffEnv(local, peer map[string]string) error {
	var missing, mismatching []string
	for k, v := range local {
		if pv, ok := peer[k]; !ok {
			missing = append(missing, k)
		} else if pv != v {
			mismatching = append(mismatching, k)
		}
	}
	for k := range peer {
		if _, ok := local[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing)+len(mismatching) == 0 {
		return nil
	}
	sort.Strings(missing)
	sort.Strings(mismatching)
	return fmt.Errorf("Expected MINIO_* environment name and values across all servers to be same: missing %v, mismatching %v", missing, mismatching)
}

// verifyPeers polls every remote node until all answered with the same environment. A mismatch
// that persists for 2 s is fatal; unreachable peers are retried until timeout.
func verifyPeers(eps []endpoint, tlsConf *tls.Config, timeout time.Duration) error {
	peers := map[string]string{} // host:port → scheme
	for _, ep := range eps {
		if !ep.local && ep.host != "" {
			peers[ep.host] = ep.scheme
		}
	}
	if len(peers) == 0 {
		return nil
	}
	local := envHashes()
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConf}}
	deadline := time.Now().Add(timeout)
	var firstMismatch time.Time
	// Mismatches are kept across rounds (a peer that already gave up is no longer reachable)
	// until the same peer answers with a matching environment.
	mismatches := map[string]error{}
	for {
		var pending []string
		for host, scheme := range peers {
			var got struct {
				Env map[string]string `json:"env"`
			}
			err := func() error {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+host+"/minio/bootstrap/v1/verify", nil)
				resp, err := client.Do(req)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("status %d", resp.StatusCode)
				}
				return json.NewDecoder(resp.Body).Decode(&got)
			}()
			if err != nil {
				pending = append(pending, host)
				continue
			}
			if err := diffEnv(local, got.Env); err != nil {
				mismatches[host] = fmt.Errorf("%v (peer %s)", err, host)
			} else {
				delete(mismatches, host)
				delete(peers, host)
			}
		}
		if len(mismatches) == 0 {
			firstMismatch = time.Time{}
		}
		for _, mismatch := range mismatches {
			if firstMismatch.IsZero() {
				firstMismatch = time.Now()
				logx.Printf("minio", "bootstrap: %v", mismatch)
			}
			if time.Since(firstMismatch) > 2*time.Second {
				return mismatch
			}
			break
		}
		if len(peers) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bootstrap: peers not reachable within %v: %v", timeout, pending)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
