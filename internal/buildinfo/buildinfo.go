// Package buildinfo tells which build of rxclaims is running: the version
// string every binary's --version prints, and the rxclaims_build_info
// metric. It reads runtime/debug.ReadBuildInfo only; it knows nothing of
// members or claims.
package buildinfo

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Info is what the binary knows about its own build.
type Info struct {
	Version   string // the module version, else the VCS revision (with "+dirty" when modified), else "devel"
	Revision  string // the VCS revision, empty when unknown
	GoVersion string // the Go toolchain that built the binary
}

// Read returns the running binary's build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "devel", GoVersion: runtime.Version()}
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{GoVersion: bi.GoVersion}
	if info.GoVersion == "" {
		info.GoVersion = runtime.Version()
	}
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	switch v := bi.Main.Version; {
	case v != "" && v != "(devel)":
		info.Version = v
	case info.Revision != "":
		info.Version = info.Revision
		if modified {
			info.Version += "+dirty"
		}
	default:
		info.Version = "devel"
	}
	return info
}

// Version is the running binary's version string.
func Version() string { return Read().Version }

// String is the one line --version prints, e.g. "adjudicator v1.2.0 (go1.26.8)".
func String(program string) string {
	i := Read()
	return program + " " + i.Version + " (" + i.GoVersion + ")"
}

// Register adds the rxclaims_build_info gauge (always 1, labelled with the
// version, Go version and VCS revision) to reg. The adjudicator registers
// it; the loader and bench can register it on their registries the same way.
func Register(reg prometheus.Registerer) error {
	return reg.Register(Collector(Read()))
}

// Collector returns the rxclaims_build_info gauge for info.
func Collector(info Info) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "rxclaims",
		Name:      "build_info",
		Help:      "The running build: always 1, labelled with its version, Go version and VCS revision.",
		ConstLabels: prometheus.Labels{
			"version": info.Version, "goversion": info.GoVersion, "revision": info.Revision,
		},
	})
	g.Set(1)
	return g
}
