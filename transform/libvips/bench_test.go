package libvips

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/internal/testenv"
	"pixcdn/transform"
)

// corpus caches the files per extension, so that -count repetitions do not
// pile up copies and inflate the RSS figures.
var corpus = struct {
	sync.Mutex
	byExt map[string][][]byte
}{byExt: map[string][][]byte{}}

// corpusFiles lists the images with the given extension under
// $PIXCDN_CORPUS, by default the repository's .run/corpus/x (see `make
// corpus`, which `make deps` runs: Debian's mate-backgrounds and
// ukui-wallpapers photos and artworks, 1.3-18 megapixels). Without it the
// caller fails under CI and skips elsewhere (testenv.Unavailable).
func corpusFiles(b testing.TB, ext string) [][]byte {
	corpus.Lock()
	defer corpus.Unlock()
	if files, ok := corpus.byExt[ext]; ok {
		return files
	}
	dir := os.Getenv("PIXCDN_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", ".run", "corpus", "x")
	}
	if _, err := os.Stat(dir); err != nil {
		testenv.Unavailable(b, "the photo corpus (make corpus)", err)
	}
	var names []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.EqualFold(filepath.Ext(path), ext) {
			names = append(names, path)
		}
		return err
	})
	if err != nil || len(names) == 0 {
		b.Fatalf("no %s files under %s: %v", ext, dir, err)
	}
	sort.Strings(names)
	files := make([][]byte, len(names))
	for i, n := range names {
		if files[i], err = os.ReadFile(n); err != nil {
			b.Fatal(err)
		}
	}
	corpus.byExt[ext] = files
	return files
}

// BenchmarkCold measures the cold path, one transform at a time on one
// worker: decode (with shrink-on-load), resize to 400 px wide, encode, for
// each output format, cycling through the corpus JPEGs (src=jpg) or PNGs
// (src=png). Besides ns/op it reports results/s (wall clock), cpu-ms/op and
// results/cpu-s (process CPU time, so "per core" even on a shared machine)
// peak-rss-MB (VmHWM of the whole test process: run one sub-benchmark per
// process for a per-format figure) and start-rss-MB (VmRSS with the corpus
// loaded, before the first transform).
func BenchmarkCold(b *testing.B) {
	for _, src := range []string{".jpg", ".png"} {
		for _, f := range []transform.Format{transform.JPEG, transform.WebP, transform.AVIF, transform.PNG} {
			b.Run("src="+src[1:]+"/fm="+f.String(), func(b *testing.B) {
				benchCold(b, corpusFiles(b, src), f)
			})
		}
	}
}

func benchCold(b *testing.B, files [][]byte, f transform.Format) {
	p := newTestProcessor(b, func(c *Config) {
		c.Workers, c.Deadline = 1, time.Minute
		if e, err := strconv.Atoi(os.Getenv("PIXCDN_AVIF_EFFORT")); err == nil {
			c.AVIFEffort = e
		}
	})
	opts := transform.Options{Width: 400, Format: f}
	ctx := context.Background()
	var outBytes int64
	runtime.GC()
	debug.FreeOSMemory()
	baseRSS := procStatusMB("VmRSS:")
	cpu0 := testenv.CPUTime()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		src := files[i%len(files)]
		out, _, err := p.Process(ctx, src, opts)
		if err != nil {
			b.Fatalf("file %d: %v (%s)", i%len(files), err, Detail(err))
		}
		outBytes += int64(len(out))
	}
	n := float64(b.N)
	cpu := (testenv.CPUTime() - cpu0).Seconds()
	b.ReportMetric(n/b.Elapsed().Seconds(), "results/s")
	b.ReportMetric(cpu*1000/n, "cpu-ms/op")
	b.ReportMetric(n/cpu, "results/cpu-s")
	b.ReportMetric(float64(outBytes)/n, "out-B/op")
	b.ReportMetric(procStatusMB("VmHWM:"), "peak-rss-MB")
	b.ReportMetric(baseRSS, "start-rss-MB")
}

// procStatusMB reads a kB field of /proc/self/status in MB: VmHWM (peak
// resident set) or VmRSS (current).
func procStatusMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkProcessParallel is the micro benchmark beside the code: small
// transforms of one in-memory photo on every worker.
func BenchmarkProcessParallel(b *testing.B) {
	p := newTestProcessor(b, nil)
	src := photoJPEG(b, 1600, 1200, false)
	opts := transform.Options{Width: 400, Format: transform.WebP}
	b.SetBytes(int64(len(src)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := p.Process(context.Background(), src, opts); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkColdBaseline is the floor to compare BenchmarkCold with, in the
// same process and conditions: bare govips calls (vips_thumbnail to 400 px
// wide, then the encoder with the same settings), no probe, limits, colour
// management, admission or Meta.
func BenchmarkColdBaseline(b *testing.B) {
	for _, f := range []transform.Format{transform.JPEG, transform.WebP, transform.AVIF} {
		b.Run("src=jpg/fm="+f.String(), func(b *testing.B) {
			files := corpusFiles(b, ".jpg")
			newTestProcessor(b, nil) // starts libvips with the same settings
			cfg := DefaultConfig()
			cpu0 := testenv.CPUTime()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				img, err := vips.NewThumbnailWithSizeFromBuffer(files[i%len(files)], 400, transform.MaxSide, vips.InterestingNone, vips.SizeDown)
				if err != nil {
					b.Fatal(err)
				}
				j := &job{cfg: &cfg, img: img, opts: transform.Options{Format: f}}
				if err := encode(j); err != nil {
					b.Fatal(err)
				}
				img.Close()
			}
			cpu := (testenv.CPUTime() - cpu0).Seconds()
			b.ReportMetric(cpu*1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(b.N)/cpu, "results/cpu-s")
		})
	}
}
