package main

// Volume arguments: MINIO_VOLUMES & co. (kes-minio.md §4.2), ellipsis expansion, local detection.

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"example.invalid/standins/internal/ellipsis"
)

type endpoint struct {
	raw    string
	scheme string // "" for a plain path
	host   string // host:port for URL-style endpoints
	path   string
	local  bool
}

// volumeArgs returns the volumes: command-line arguments, else MINIO_ARGS, MINIO_VOLUMES,
// then the legacy MINIO_ENDPOINTS (§4.2), split on white space.
func volumeArgs(args []string) ([]string, error) {
	if len(args) > 0 {
		return args, nil
	}
	for _, name := range []string{"MINIO_ARGS", "MINIO_VOLUMES", "MINIO_ENDPOINTS"} {
		if v, ok := os.LookupEnv(name); ok {
			if f := strings.Fields(v); len(f) > 0 {
				return f, nil
			}
		}
	}
	return nil, errors.New("Invalid command line arguments: no volumes given (pass VOLUMES or set MINIO_VOLUMES)")
}

// parseEndpoints expands ellipses and decides which endpoints belong to this server: the host
// resolves to one of this machine's addresses (or is its hostname) and the port matches.
//
// Several arguments are several server pools when they have ellipses, as MinIO's
// buildDisksLayoutFromConfFile/mergeDisksLayoutFromArgs decide (cmd/endpoint-ellipses.go): if no
// argument has an ellipsis, all of them are one (legacy) pool; otherwise every argument must
// have one, and each is a pool.
func parseEndpoints(args []string, serverPort string) ([]endpoint, error) {
	if n := pools(args); n < 0 {
		return nil, fmt.Errorf("all args must have ellipses for pool expansion (Invalid arguments specified) args: %v", args)
	}
	var eps []endpoint
	seen := map[string]bool{}
	urlStyle, pathStyle := false, false
	for _, arg := range args {
		expanded, err := ellipsis.Expand(arg)
		if err != nil {
			return nil, err
		}
		for _, s := range expanded {
			ep := endpoint{raw: s}
			if strings.Contains(s, "://") {
				urlStyle = true
				u, err := url.Parse(s)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
					return nil, fmt.Errorf("invalid endpoint %q: want http(s)://host[:port]/path", s)
				}
				if u.Path == "" || u.Path == "/" {
					return nil, fmt.Errorf("invalid endpoint %q: empty or root path is not supported", s)
				}
				port := u.Port()
				if port == "" {
					port = serverPort // [inferred] a URL without a port uses the server port
				}
				ep.scheme, ep.host, ep.path = u.Scheme, net.JoinHostPort(u.Hostname(), port), u.Path
				ep.local = port == serverPort && isLocalHost(u.Hostname())
			} else {
				pathStyle = true
				abs, err := filepath.Abs(s)
				if err != nil {
					return nil, err
				}
				ep.path, ep.local = abs, true
			}
			key := ep.host + ep.path
			if seen[key] {
				return nil, fmt.Errorf("duplicate endpoint %q", s)
			}
			seen[key] = true
			eps = append(eps, ep)
		}
	}
	if urlStyle && pathStyle {
		return nil, errors.New("mixed style endpoints are not supported: use either paths or http(s):// URLs")
	}
	local := 0
	for _, ep := range eps {
		if ep.local {
			local++
		}
	}
	if local == 0 {
		return nil, fmt.Errorf("no endpoint points to this server (port %s): check the hostnames in MINIO_VOLUMES and --address", serverPort)
	}
	return eps, nil
}

func isLocalHost(host string) bool {
	if h, err := os.Hostname(); err == nil && strings.EqualFold(h, host) {
		return true
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else if found, err := net.LookupIP(host); err == nil {
		ips = found
	}
	addrs, _ := net.InterfaceAddrs()
	for _, ip := range ips {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				return true
			}
		}
	}
	return false
}

// checkDrive: a local drive directory must exist and be writable (brief of the stand-in;
// upstream may create a missing directory when it can [unverified]).
func checkDrive(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("drive %s: %v", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("drive %s: not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".standin-write-check-*")
	if err != nil {
		return fmt.Errorf("drive %s is not writable: %v", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// pools returns how many server pools args are (1 for a legacy list without ellipses), or -1 when
// some but not all of several arguments have ellipses.
func pools(args []string) int {
	with := 0
	for _, a := range args {
		if ellipsis.HasEllipsis(a) {
			with++
		}
	}
	switch {
	case with == 0:
		return 1
	case len(args) > 1 && with != len(args):
		return -1
	default:
		return len(args)
	}
}
