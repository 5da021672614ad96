// Command ceiling is the miss-path benchmark's naive ceiling: libvips
// thumbnail straight from each original held in memory, then the encoder
// with the edge's default settings (WebP q80 effort 2, JPEG q80
// progressive with optimised Huffman tables; metadata stripped), for every
// request of a trace, one at a time on one goroutine, with libvips' own
// threads and operation cache as the edge runs them (1, off). It prints one
// line: requests, wall seconds, process CPU seconds, output bytes.
//
//	ceiling -trace W/cold-1.txt -dir ORIGIN
//
// ORIGIN is the dir: origin's root: /TENANT/ID in a trace line is the file
// ORIGIN/TENANT/ID. Every original is read before the clock starts.
// See bench/miss/run.sh.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/bench"
)

func main() {
	trace := flag.String("trace", "", "request trace (one /TENANT/ID?w=W&fm=webp|jpeg per line)")
	dir := flag.String("dir", "", "dir: origin root holding TENANT/ID")
	quality := flag.Int("quality", 80, "encoder quality, as the edge's default for WebP and JPEG")
	effort := flag.Int("webp-effort", 2, "WebP effort, as the edge's default")
	flag.Parse()
	jobs, err := load(*trace, *dir)
	if err == nil {
		var res result
		if res, err = run(jobs, settings{quality: *quality, webpEffort: *effort}); err == nil {
			fmt.Printf("requests %d wall_s %.4f cpu_s %.4f bytes %d\n", res.requests, res.wall.Seconds(), res.cpu.Seconds(), res.bytes)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

// job is one request: an original in memory, a width, a format.
type job struct {
	src    []byte
	width  int
	format string
}

type settings struct{ quality, webpEffort int }

type result struct {
	requests  int
	wall, cpu time.Duration
	bytes     int64
	widths    []int // of each output, in order
}

// load parses the trace and reads each original it names once.
func load(trace, dir string) ([]job, error) {
	if trace == "" || dir == "" {
		return nil, errors.New("-trace and -dir are required")
	}
	f, err := os.Open(trace)
	if err != nil {
		return nil, err
	}
	reqs, err := bench.ParseTrace(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	originals := map[string][]byte{}
	jobs := make([]job, 0, len(reqs))
	for _, r := range reqs {
		u, err := url.Parse(r.Path)
		if err != nil {
			return nil, err
		}
		w, err := strconv.Atoi(u.Query().Get("w"))
		if err != nil || w < 1 {
			return nil, fmt.Errorf("%s: want w=WIDTH", r.Path)
		}
		fm := u.Query().Get("fm")
		if fm != "webp" && fm != "jpeg" {
			return nil, fmt.Errorf("%s: want fm=webp or fm=jpeg", r.Path)
		}
		name := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(u.Path, "/")))
		if !strings.HasPrefix(name, filepath.Clean(dir)+string(filepath.Separator)) {
			return nil, fmt.Errorf("%s: outside %s", r.Path, dir)
		}
		src, ok := originals[name]
		if !ok {
			if src, err = os.ReadFile(name); err != nil {
				return nil, err
			}
			originals[name] = src
		}
		jobs = append(jobs, job{src: src, width: w, format: fm})
	}
	return jobs, nil
}

// run starts libvips and makes every job's output in turn on this
// goroutine's thread.
func run(jobs []job, s settings) (result, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	vips.LoggingSettings(func(string, vips.LogLevel, string) {}, vips.LogLevelError)
	// As the edge starts libvips: one thread per operation, no operation cache.
	if err := vips.Startup(&vips.Config{ConcurrencyLevel: 1}); err != nil {
		return result{}, err
	}
	res := result{requests: len(jobs)}
	cpu0, t0 := cpuTime(), time.Now()
	for _, j := range jobs {
		out, w, err := thumbnail(j, s)
		if err != nil {
			return result{}, err
		}
		res.bytes += int64(len(out))
		res.widths = append(res.widths, w)
	}
	res.wall, res.cpu = time.Since(t0), cpuTime()-cpu0
	return res, nil
}

// thumbnail is vips_thumbnail_buffer to the job's width (height unbounded,
// never enlarging) and the encoder; it returns the output and its width.
func thumbnail(j job, s settings) ([]byte, int, error) {
	img, err := vips.NewThumbnailWithSizeFromBuffer(j.src, j.width, 10_000_000, vips.InterestingNone, vips.SizeDown)
	if err != nil {
		return nil, 0, err
	}
	defer img.Close()
	var out []byte
	if j.format == "jpeg" {
		out, _, err = img.ExportJpeg(&vips.JpegExportParams{StripMetadata: true, Quality: s.quality,
			Interlace: true, OptimizeCoding: true, SubsampleMode: vips.VipsForeignSubsampleAuto})
	} else {
		out, _, err = img.ExportWebp(&vips.WebpExportParams{StripMetadata: true, Quality: s.quality, ReductionEffort: s.webpEffort})
	}
	return out, img.Width(), err
}

// cpuTime is the user+system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
