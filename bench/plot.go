package bench

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
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
	color.Gray{Y: 0x60},
}

// savePlot draws the series as lines with points into path.
func savePlot(path, title, x, y string, logX, logY bool, lines []series) error {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	if logX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	if logY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
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
		if s.dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l, pts)
		p.Legend.Add(s.name, l, pts)
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}

// positive keeps log-scale plots defined.
func positive(v float64) float64 { return max(v, 1e-3) }

// writePlots draws the report's plots into dir and returns their file names.
func writePlots(r *Report, dir string) ([]string, error) {
	var files []string
	save := func(name, title, x, y string, logX, logY bool, lines []series) error {
		if err := savePlot(filepath.Join(dir, name), title, x, y, logX, logY, lines); err != nil {
			return err
		}
		files = append(files, name)
		return nil
	}
	if len(r.Open) > 0 {
		var p50, p90, p99, p999, empty, bound plotter.XYs
		for _, c := range r.Open {
			x, l := c.Claims.OfferedRate, c.Claims.Latency
			p50 = append(p50, plotter.XY{X: x, Y: positive(l.P50)})
			p90 = append(p90, plotter.XY{X: x, Y: positive(l.P90)})
			p99 = append(p99, plotter.XY{X: x, Y: positive(l.P99)})
			p999 = append(p999, plotter.XY{X: x, Y: positive(l.P999)})
			empty = append(empty, plotter.XY{X: x, Y: positive(c.Empty.Latency.P99)})
			bound = append(bound, plotter.XY{X: x, Y: r.Capacity.P99BoundMs})
		}
		err := save("latency-vs-load.png", "Claim latency against offered load (open loop)", "offered claims/s", "latency ms (from intended send time)", false, true,
			[]series{{"p50", p50, false}, {"p90", p90, false}, {"p99", p99, false}, {"p99.9", p999, false}, {"empty RPC p99", empty, true}, {"p99 bound", bound, true}})
		if err != nil {
			return nil, err
		}
	}
	if len(r.Closed) > 0 {
		var claims, empty plotter.XYs
		for _, c := range r.Closed {
			x := float64(c.Claims.Concurrency)
			claims = append(claims, plotter.XY{X: x, Y: c.Claims.Throughput})
			empty = append(empty, plotter.XY{X: x, Y: c.Empty.Throughput})
		}
		err := save("throughput-vs-concurrency.png", "Throughput against concurrency (closed loop)", "calls in flight", "calls/s", true, false,
			[]series{{"claims", claims, false}, {"empty RPC", empty, true}})
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
	return files, nil
}
