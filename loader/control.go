package loader

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// The control socket. One process holds a loader's state (Pebble's lock),
// so while `loader run` runs, `loader status` and the policy commands
// cannot open it: they send the command to the running loader instead,
// over a unix socket in the data directory that only the loader's user
// may open (mode 0600). The running loader executes the command as the
// command line would (the same workflow, journal and two-person rules) and
// answers with its output. It logs the command's name only, never its
// arguments (they name families).

// ControlSocket is the control socket's name in the data directory.
const ControlSocket = "control.sock"

// ControlRequest is a command for the running loader: "status" (of Group,
// or every group) or "policy" (Policy).
type ControlRequest struct {
	Command string      `json:"command"`
	Group   string      `json:"group,omitempty"`
	Policy  *PolicyArgs `json:"policy,omitempty"`
}

type controlResponse struct {
	Output string `json:"output"`
	Error  string `json:"error,omitempty"`
}

// ErrNoControl is Control's error when no loader answers on the socket.
var ErrNoControl = errors.New("no loader answers on the control socket")

// maxControlRequest bounds a request's body.
const maxControlRequest = 1 << 20

// serveControl serves the control socket until the returned stop is
// called.
func (l *Loader) serveControl() (stop func(), err error) {
	path := filepath.Join(l.opts.Dir, ControlSocket)
	// Bind under a temporary name, restrict it, then move it into place,
	// so the socket is never open to others. The state's lock is held: a
	// socket left by a killed loader is stale.
	tmp := path + ".new"
	os.Remove(tmp)
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := errors.Join(os.Chmod(tmp, 0o600), os.Rename(tmp, path)); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("control socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/command", l.handleControl)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		srv.Close()
		<-done
		os.Remove(path)
	}, nil
}

func (l *Loader) handleControl(w http.ResponseWriter, r *http.Request) {
	var req ControlRequest
	var resp controlResponse
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlRequest)).Decode(&req); err != nil {
		resp.Error = fmt.Sprintf("control request: %v", err)
	} else {
		l.log.Info("control command", "command", req.Command, "sub", subOf(req))
		var out bytes.Buffer
		if err := l.control(r.Context(), req, &out); err != nil {
			resp.Error = err.Error()
		}
		resp.Output = out.String()
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func subOf(req ControlRequest) string {
	if req.Policy == nil {
		return ""
	}
	return req.Policy.Sub
}

// control runs a control command, writing its output to w.
func (l *Loader) control(ctx context.Context, req ControlRequest, w io.Writer) error {
	switch req.Command {
	case "status":
		return WriteStatus(w, l, req.Group)
	case "policy":
		if req.Policy == nil {
			return errors.New("control request: policy command without its arguments")
		}
		return l.PolicyCommand(ctx, w, *req.Policy)
	}
	return fmt.Errorf("control request: unknown command %q (status, policy)", req.Command)
}

// Control sends req to the loader running on the data directory dir and
// writes its output to w; the command's own failure is the error. It
// returns ErrNoControl when no loader answers there.
func Control(ctx context.Context, dir string, req ControlRequest, w io.Writer) error {
	path := filepath.Join(dir, ControlSocket)
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
	defer client.CloseIdleConnections()
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://loader/v1/command", bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "application/json")
	res, err := client.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w (%s): %v", ErrNoControl, path, err)
	}
	defer res.Body.Close()
	var resp controlResponse
	if err := json.NewDecoder(res.Body).Decode(&resp); err != nil {
		return fmt.Errorf("control answer: %w", err)
	}
	if _, err := io.WriteString(w, resp.Output); err != nil {
		return err
	}
	if resp.Error != "" {
		return errors.New(resp.Error)
	}
	return nil
}
