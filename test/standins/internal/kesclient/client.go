// Package kesclient is a minimal KES HTTP client used by the MinIO stand-in (kes-minio.md §3).
package kesclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Error is an answer from KES with a non-2xx status (kes-minio.md §3 "KES error texts").
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// IsStatus reports whether err is a KES answer with the given HTTP status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// Client talks to one or more KES endpoints, trying them in order.
type Client struct {
	Endpoints []string // e.g. https://127.0.0.1:7373
	HTTP      *http.Client
}

// do sends one request. A transport error moves on to the next endpoint; an HTTP answer
// from KES ends the attempt (the real client also load-balances; kes-minio.md §4.1).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	var lastErr error = errors.New("kes: no endpoints")
	for _, ep := range c.Endpoints {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		req, err := http.NewRequestWithContext(rctx, method, strings.TrimSuffix(ep, "/")+path, bytes.NewReader(body))
		if err != nil {
			cancel()
			return err
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			cancel()
			lastErr = err
			continue
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		cancel()
		if err != nil {
			lastErr = err
			continue
		}
		if resp.StatusCode/100 != 2 {
			var msg struct {
				Message string `json:"message"`
			}
			if json.Unmarshal(data, &msg) != nil || msg.Message == "" {
				msg.Message = strings.TrimSpace(string(data))
			}
			return &Error{Status: resp.StatusCode, Message: msg.Message}
		}
		if out != nil {
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("kes: invalid response: %w", err)
			}
		}
		return nil
	}
	return lastErr
}

// CreateKey sends POST /v1/key/create/<name> (the kms-go client sends POST; kes-minio.md §3).
func (c *Client) CreateKey(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodPost, "/v1/key/create/"+name, nil, nil)
}

// GenerateKey returns a new data key: plaintext and its ciphertext under key `name`.
func (c *Client) GenerateKey(ctx context.Context, name string, context []byte) (plaintext, ciphertext []byte, err error) {
	var out struct {
		Plaintext  []byte `json:"plaintext"`
		Ciphertext []byte `json:"ciphertext"`
	}
	in := map[string]any{}
	if context != nil {
		in["context"] = context
	}
	err = c.do(ctx, http.MethodPost, "/v1/key/generate/"+name, in, &out)
	return out.Plaintext, out.Ciphertext, err
}

// Decrypt decrypts a ciphertext made by GenerateKey.
func (c *Client) Decrypt(ctx context.Context, name string, ciphertext, context []byte) ([]byte, error) {
	var out struct {
		Plaintext []byte `json:"plaintext"`
	}
	in := map[string]any{"ciphertext": ciphertext}
	if context != nil {
		in["context"] = context
	}
	err := c.do(ctx, http.MethodPost, "/v1/key/decrypt/"+name, in, &out)
	return out.Plaintext, err
}
