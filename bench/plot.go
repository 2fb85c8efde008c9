package bench

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// series is one line of a plot.
type series struct {
	name   string
	xy     plotter.XYs
	dashed bool
}

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	color.Gray{Y: 0x60},
}

// Plot sizes: the plotting area, and the column on its right that holds
// the legend, off the data.
const (
	plotWidth   = 8 * vg.Inch
	plotHeight  = 4.5 * vg.Inch
	legendWidth = 1.7 * vg.Inch
)

// savePlot draws the series as lines with points into path, the legend in
// a column of its own on the right. Axis ranges are set from the data
// with a margin, so one point (a single step) or equal values still make
// a valid axis, log scales included.
func savePlot(path, title, x, y string, logX, logY bool, lines []series) error {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Title.TextStyle.Font.Size = vg.Points(13)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(12)
		a.Tick.Label.Font.Size = vg.Points(11)
	}
	p.Add(plotter.NewGrid())
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font.Size = vg.Points(11)
	var all plotter.XYs
	for i, s := range lines {
		if len(s.xy) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(s.xy)
		if err != nil {
			return fmt.Errorf("plot %s: %w", title, err)
		}
		c := palette[i%len(palette)]
		l.Color, pts.Color, pts.Shape = c, c, draw.CircleGlyph{}
		l.Width = vg.Points(1.5)
		if s.dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l, pts)
		legend.Add(s.name, l, pts)
		all = append(all, s.xy...)
	}
	if len(all) == 0 {
		return nil
	}
	setRange(&p.X, all, func(v plotter.XY) float64 { return v.X }, logX)
	setRange(&p.Y, all, func(v plotter.XY) float64 { return v.Y }, logY)

	img := vgimg.New(plotWidth+legendWidth, plotHeight)
	dc := draw.New(img)
	p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	legend.Draw(draw.Crop(dc, plotWidth+vg.Points(6), 0, 0, -vg.Points(28)))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot %s: %w", title, err)
	}
	return f.Close()
}

// setRange fits an axis to the data: a log axis to [min/1.3, max×1.3]
// with ticks at 1, 2 and 5 of each decade, a linear one from zero (or the
// lowest value, if negative) to a tenth above the highest.
func setRange(a *plot.Axis, xy plotter.XYs, get func(plotter.XY) float64, log bool) {
	lo, hi := get(xy[0]), get(xy[0])
	for _, v := range xy[1:] {
		lo, hi = min(lo, get(v)), max(hi, get(v))
	}
	if log {
		lo, hi = max(lo, 1e-3), max(hi, 1e-3)
		a.Scale, a.Tick.Marker = plot.LogScale{}, logTicks{}
		a.Min, a.Max = lo/1.3, hi*1.3
		return
	}
	a.Min, a.Max = min(lo, 0), hi*1.1
	if a.Max <= a.Min {
		a.Max = a.Min + 1
	}
}

// logTicks marks 1, 2 and 5 of each decade, labelled plainly (250, 1k, 0.5).
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for dec := math.Pow(10, math.Floor(math.Log10(lo))); dec <= hi; dec *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if v := m * dec; v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v, Label: tickLabel(v)})
			}
		}
	}
	if len(ticks) < 2 { // a narrow range: its ends, labelled
		ticks = []plot.Tick{{Value: lo, Label: tickLabel(lo)}, {Value: hi, Label: tickLabel(hi)}}
	}
	return ticks
}

func tickLabel(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// positive keeps log-scale plots defined.
func positive(v float64) float64 { return max(v, 1e-3) }

// writePlots draws the report's plots into dir and returns the file names
// of those drawn. A plot that fails (or panics inside the plotting
// library) is left out and its error returned with the others; the rest
// are still drawn.
func writePlots(r *Report, dir string) (files []string, err error) {
	var errs []error
	save := func(name, title, x, y string, logX, logY bool, lines []series) error {
		defer func() {
			if e := recover(); e != nil {
				errs = append(errs, fmt.Errorf("plot %s: %v", name, e))
			}
		}()
		if err := savePlot(filepath.Join(dir, name), title, x, y, logX, logY, lines); err != nil {
			errs = append(errs, err)
			return nil
		}
		files = append(files, name)
		return nil
	}
	if len(r.Open) > 0 {
		var p50, p90, p99, p999, empty, bare, bound plotter.XYs
		for _, c := range r.Open {
			x, l := c.Claims.OfferedRate, c.Claims.Latency
			p50 = append(p50, plotter.XY{X: x, Y: positive(l.P50)})
			p90 = append(p90, plotter.XY{X: x, Y: positive(l.P90)})
			p99 = append(p99, plotter.XY{X: x, Y: positive(l.P99)})
			p999 = append(p999, plotter.XY{X: x, Y: positive(l.P999)})
			empty = append(empty, plotter.XY{X: x, Y: positive(c.Empty.Latency.P99)})
			if c.Bare != nil {
				bare = append(bare, plotter.XY{X: x, Y: positive(c.Bare.Latency.P99)})
			}
			bound = append(bound, plotter.XY{X: x, Y: r.Capacity.P99BoundMs})
		}
		err := save("latency-vs-load.png", "Claim latency against offered load (open loop)", "offered claims/s", "latency ms (from intended send time)", false, true,
			[]series{{"p50", p50, false}, {"p90", p90, false}, {"p99", p99, false}, {"p99.9", p999, false}, {"empty RPC p99", empty, true}, {"bare commit p99", bare, true}, {"p99 bound", bound, true}})
		if err != nil {
			return nil, err
		}
	}
	if len(r.Closed) > 0 {
		var claims, empty, bare plotter.XYs
		for _, c := range r.Closed {
			x := float64(c.Claims.Concurrency)
			claims = append(claims, plotter.XY{X: x, Y: c.Claims.Throughput})
			empty = append(empty, plotter.XY{X: x, Y: c.Empty.Throughput})
			if c.Bare != nil {
				bare = append(bare, plotter.XY{X: x, Y: c.Bare.Throughput})
			}
		}
		err := save("throughput-vs-concurrency.png", "Throughput against concurrency (closed loop)", "calls in flight", "calls/s", true, false,
			[]series{{"claims", claims, false}, {"empty RPC", empty, true}, {"bare Pebble txn", bare, true}})
		if err != nil {
			return nil, err
		}
	}
	for _, d := range r.Scale {
		if len(d.Cases) == 0 || d.Name == "transport" { // two categories: the table says it
			continue
		}
		var thr, cpu, p99 plotter.XYs
		for _, c := range d.Cases {
			x := float64(c.Members)
			switch d.Name {
			case "history":
				x = float64(max(c.History, 1))
			case "edits":
				x = float64(max(c.Edits, 1))
			}
			thr = append(thr, plotter.XY{X: x, Y: c.RelThroughput})
			cpu = append(cpu, plotter.XY{X: x, Y: c.RelCPU})
			p99 = append(p99, plotter.XY{X: x, Y: c.RelP99})
		}
		label := map[string]string{"members": "members", "history": "claims of history (0 plotted at 1)", "edits": "synthetic Active edits"}[d.Name]
		err := save("scale-"+d.Name+".png", "Scale: "+d.Name+", relative to the first case", label, "relative to the first case", true, false,
			[]series{{"throughput", thr, false}, {"CPU per claim", cpu, false}, {"open-loop p99", p99, false}})
		if err != nil {
			return nil, err
		}
	}
	return files, errors.Join(errs...)
}
