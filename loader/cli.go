package loader

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/term"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const usage = `usage: loader [command] [flags]

commands:
  run                    watch the inbox and sync to the adjudicator (default)
  apply FILE             stage, process and sync one file, then exit
  status                 list files with their status and counts
  rewind --group G --seq N   undo file G/N and the group's later files
  retro --group G --seq N [--reverse]   paid claims a file's back-dated changes affect
  sync                   send what the outbox holds, then exit
  policy pending [--group G]                          pending policy copies and the rules that pended them
  policy history --group G --family F                 every version of a family's policy
  policy approve --group G --family F --user U        approve the pending copy (then sync)
  policy reject --group G --family F --user U --reason R
  policy change --group G --family F --person P --user U [--file-type T] FIELD=VALUE...
                                                      a manual change, through the workflow
  bench --records N      apply N generated family records to a fresh loader

Flags may also come from the environment: RXCLAIMS_LOADER_DIR, RXCLAIMS_LOADER_INBOX,
RXCLAIMS_LOADER_PROFILES, RXCLAIMS_ADJUDICATOR, RXCLAIMS_LOADER_METRICS_ADDR.
`

// Main is the loader command: cmd/loader calls it with the process's
// arguments, environment and output.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	sub := ""
	if cmd == "policy" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("loader "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	dir := fs.String("dir", env("RXCLAIMS_LOADER_DIR", "./loader-data"), "state, staging, archive and rejected directories")
	inbox := fs.String("inbox", env("RXCLAIMS_LOADER_INBOX", ""), "inbox directory (default DIR/inbox)")
	profilesPath := fs.String("profiles", env("RXCLAIMS_LOADER_PROFILES", ""), "group intake profiles (YAML or JSON)")
	adjAddr := fs.String("adjudicator", env("RXCLAIMS_ADJUDICATOR", "localhost:50051"), `the adjudicator's gRPC address ("-": do not sync)`)
	metricsAddr := fs.String("metrics-addr", env("RXCLAIMS_LOADER_METRICS_ADDR", ":9103"), `Prometheus /metrics listen address for run ("-" disables)`)
	poll := fs.Duration("poll", 2*time.Second, "inbox scan interval for run")
	group := fs.String("group", "", "group (status, rewind, retro)")
	seq := fs.Uint64("seq", 0, "file sequence within the group (rewind, retro)")
	reverse := fs.Bool("reverse", false, "retro: reverse the affected claims")
	family := fs.String("family", "", "policy: the family (cardholder ID)")
	person := fs.String("person", "", "policy change: the member's person code")
	user := fs.String("user", "", "policy: the operator making, approving or rejecting a change")
	reason := fs.String("reason", "", "policy reject: why")
	fileType := fs.String("file-type", string(Eligibility), "policy change: participation or eligibility")
	records := fs.Int("records", 1_000_000, "bench: records to generate")
	level := fs.String("log-level", env("RXCLAIMS_LOG_LEVEL", "info"), "log level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	progress := progressFor(stderr)

	if cmd == "bench" {
		tmp, err := os.MkdirTemp(*dir, "bench-")
		if err != nil {
			if err := os.MkdirAll(*dir, 0o755); err != nil {
				return err
			}
			if tmp, err = os.MkdirTemp(*dir, "bench-"); err != nil {
				return err
			}
		}
		defer os.RemoveAll(tmp)
		res, err := Bench(ctx, tmp, *records, progress)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d family records validated and applied in %s: %.0f records/s (heap in use after: %.0f MiB)\n%s\n",
			res.Records, res.Elapsed.Round(time.Millisecond), res.PerSecond, res.HeapMB, res.Status)
		return nil
	}

	opts := Options{Dir: *dir, Inbox: *inbox, Logger: log, Progress: progress, PollInterval: *poll}
	if *profilesPath != "" {
		p, err := LoadProfiles(*profilesPath)
		if err != nil {
			return err
		}
		opts.Profiles = p
	}
	if *adjAddr != "-" {
		conn, err := grpc.NewClient(*adjAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return err
		}
		defer conn.Close()
		host, _ := os.Hostname()
		opts.Sink = NewGRPCSink(conn, "loader@"+host)
	}
	reg := prometheus.NewRegistry()
	if cmd == "run" {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		opts.Registerer = reg
	}
	l, err := Open(opts)
	if err != nil {
		return err
	}
	defer l.Close()
	syncAfter := func() error {
		if opts.Sink == nil {
			return nil
		}
		return l.Sync(ctx)
	}
	switch cmd {
	case "run":
		if *metricsAddr != "-" {
			stop, err := serveMetrics(*metricsAddr, reg, log)
			if err != nil {
				return err
			}
			defer stop()
		}
		log.Info("loader running", "inbox", l.dirs.inbox, "adjudicator", *adjAddr)
		return l.Run(ctx)
	case "apply":
		if fs.NArg() != 1 {
			return errors.New("apply needs one file")
		}
		f, err := l.ApplyFile(ctx, fs.Arg(0))
		if f != nil {
			printFile(stdout, l, f)
		}
		if err != nil {
			return err
		}
		return syncAfter()
	case "status":
		files, err := l.Files(*group)
		if err != nil {
			return err
		}
		for i := range files {
			fmt.Fprintln(stdout, files[i].Summary())
		}
		if err := printKept(stdout, l, files, 0); err != nil {
			return err
		}
		st, err := l.SyncState()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "outbox: %d batches written, %d acknowledged, %d waiting\n", st.Written, st.Acked, st.Pending)
		return nil
	case "rewind":
		if *group == "" || *seq == 0 {
			return errors.New("rewind needs --group and --seq")
		}
		if err := l.Rewind(ctx, strings.ToUpper(*group), *seq); err != nil {
			return err
		}
		files, err := l.Files(strings.ToUpper(*group))
		if err != nil {
			return err
		}
		for i := range files { // the rewound files, with the pending copies they dropped
			if files[i].Seq >= *seq && files[i].Status == Rewound {
				fmt.Fprintln(stdout, files[i].Summary())
			}
		}
		fmt.Fprintf(stdout, "rewound %s/%d\n", strings.ToUpper(*group), *seq)
		if err := syncAfter(); err != nil {
			return err
		}
		return printKept(stdout, l, files, *seq)
	case "retro":
		aff, err := l.Retro(ctx, strings.ToUpper(*group), *seq, *reverse)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		for _, a := range aff {
			if err := enc.Encode(a); err != nil {
				return err
			}
		}
		return nil
	case "sync":
		return syncAfter()
	case "policy":
		pa := policyArgs{sub: sub, group: strings.ToUpper(*group), family: strings.ToUpper(*family), person: *person,
			user: *user, reason: *reason, fileType: FileType(*fileType), set: fs.Args()}
		if err := l.policyCommand(ctx, stdout, pa); err != nil {
			return err
		}
		if sub == "approve" || sub == "change" {
			return syncAfter()
		}
		return nil
	}
	fs.Usage()
	return fmt.Errorf("unknown command %q", cmd)
}

func printFile(w io.Writer, l *Loader, f *FileStatus) {
	fmt.Fprintln(w, f.Summary())
	bad, _ := l.RecordErrors(f.Group, f.Seq, 20)
	for _, b := range bad {
		fmt.Fprintf(w, "  line %d: %s\n", b.Line, b.Reason)
	}
	if f.Archived != "" {
		fmt.Fprintf(w, "report: %s.report.json\n", f.Archived)
	}
}

// printKept names, for each rewound file from seq on, the families its
// rewind could not remove from the adjudicator.
func printKept(w io.Writer, l *Loader, files []FileStatus, seq uint64) error {
	for i := range files {
		f := &files[i]
		if f.Seq < seq || f.Status != Rewound {
			continue
		}
		kept, err := l.KeptFamilies(f.Group, f.Seq)
		if err != nil {
			return err
		}
		for _, c := range kept {
			fmt.Fprintf(w, "%s: family %s kept in the adjudicator with no coverage: it has paid claims\n", f.Ref(), c)
		}
	}
	return nil
}

// progressFor draws bars on a terminal and plain lines otherwise.
func progressFor(w io.Writer) Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return TerminalProgress{W: w}
	}
	return LineProgress{W: w}
}

func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (func(), error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "error", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

type policyArgs struct {
	sub, group, family, person, user, reason string
	fileType                                 FileType
	set                                      []string // FIELD=VALUE
}

// policyCommand runs a policy subcommand and writes its outcome.
func (l *Loader) policyCommand(ctx context.Context, w io.Writer, a policyArgs) error {
	if a.sub != "pending" && (a.group == "" || a.family == "") {
		return fmt.Errorf("policy %s needs --group and --family", a.sub)
	}
	var v *PolicyVersion
	var err error
	switch a.sub {
	case "pending":
		vs, err := l.PendingPolicies(a.group)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			fmt.Fprintln(w, "no pending policy versions")
		}
		WritePolicies(w, vs, false)
		return nil
	case "history":
		vs, err := l.PolicyHistory(a.group, a.family)
		if err != nil {
			return err
		}
		WritePolicies(w, vs, true)
		return nil
	case "approve":
		v, err = l.ApprovePolicy(ctx, a.group, a.family, a.user)
	case "reject":
		v, err = l.RejectPolicy(ctx, a.group, a.family, a.user, a.reason)
	case "change":
		set := map[string]string{}
		for _, kv := range a.set {
			k, val, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("policy change: %q is not FIELD=VALUE", kv)
			}
			set[k] = val
		}
		if a.person == "" || len(set) == 0 {
			return errors.New("policy change needs --person and at least one FIELD=VALUE")
		}
		v, err = l.ChangePolicy(ctx, a.group, a.family, a.person, a.user, a.fileType, set)
	default:
		return fmt.Errorf("unknown policy command %q (pending, history, approve, reject, change)", a.sub)
	}
	if err != nil {
		return err
	}
	WritePolicies(w, []PolicyVersion{*v}, false)
	return nil
}
