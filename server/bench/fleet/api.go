package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"time"
)

// Client is a therapist signed in to the real HTTP API; the harness creates
// patients and sessions through it exactly as the console does.
type Client struct {
	Base string
	HTTP *http.Client
	CSRF string
}

// NewHTTP returns an HTTP client with a cookie jar and enough idle
// connections for bursts of parallel signalling on loopback.
func NewHTTP() *http.Client {
	jar, _ := cookiejar.New(nil)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: tr}
}

// SignIn logs in with e-mail and password.
func SignIn(ctx context.Context, base, email, password string) (*Client, error) {
	c := &Client{Base: base, HTTP: NewHTTP()}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if err := c.Do(ctx, http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": password}, &out); err != nil {
		return nil, fmt.Errorf("fleet: signing in: %w", err)
	}
	c.CSRF = out.CSRF
	return c, nil
}

// Header is what console signalling needs besides the cookie.
func (c *Client) Header() http.Header { return http.Header{"X-Csrf-Token": {c.CSRF}} }

// Do sends a JSON request and decodes a JSON answer into out (when non-nil).
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// CreateSession creates a pseudonymous patient and schedules a live session
// on one composition (the heights template: cmd.intensity maps onto its
// floor and edge distance), returning the session id.
func (c *Client) CreateSession(ctx context.Context, code string) (string, error) {
	var pat struct {
		ID string `json:"id"`
	}
	in := map[string]any{"code": code, "birth_year": 1990, "locale": "en", "screening": map[string]bool{}}
	if err := c.Do(ctx, http.MethodPost, "/api/patients", in, &pat); err != nil {
		return "", fmt.Errorf("fleet: creating patient: %w", err)
	}
	var sess struct {
		ID string `json:"id"`
	}
	comp := map[string]any{"template": "heights", "params": map[string]any{}, "layers": map[string]any{}}
	if err := c.Do(ctx, http.MethodPost, "/api/sessions", map[string]any{"patient_id": pat.ID, "composition": comp}, &sess); err != nil {
		return "", fmt.Errorf("fleet: scheduling session: %w", err)
	}
	return sess.ID, nil
}

// JoinCode issues the session's single-use join code.
func (c *Client) JoinCode(ctx context.Context, sessionID string) (string, error) {
	var out struct {
		Code string `json:"code"`
	}
	if err := c.Do(ctx, http.MethodPost, "/api/sessions/"+sessionID+"/join-code", nil, &out); err != nil {
		return "", fmt.Errorf("fleet: join code: %w", err)
	}
	return out.Code, nil
}

// Join redeems a join code as the patient's headset does and returns the
// bearer token.
func Join(ctx context.Context, base, code string) (string, error) {
	c := &Client{Base: base, HTTP: &http.Client{Timeout: 30 * time.Second}}
	var out struct {
		Token string `json:"token"`
	}
	if err := c.Do(ctx, http.MethodPost, "/api/join", map[string]string{"code": code}, &out); err != nil {
		return "", fmt.Errorf("fleet: joining: %w", err)
	}
	return out.Token, nil
}
