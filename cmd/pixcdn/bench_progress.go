package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"

	"pixcdn/bench"
)

// progressLine redraws one line on a terminal with a run's figures so far.
// On anything but a terminal it does nothing, so piped output stays clean.
// Safe for concurrent use.
type progressLine struct {
	mu    sync.Mutex
	w     io.Writer // nil: not a terminal
	drawn bool
}

func newProgressLine(w io.Writer) *progressLine {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &progressLine{w: w}
	}
	return &progressLine{}
}

// show redraws the line with p.
func (l *progressLine) show(p bench.Progress) {
	if l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "\r\033[K%s", progressText(p))
	l.drawn = true
}

// clear erases the line, if drawn, so the report starts on a clean line.
func (l *progressLine) clear() {
	if l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.drawn {
		fmt.Fprint(l.w, "\r\033[K")
		l.drawn = false
	}
}

func progressText(p bench.Progress) string {
	name := ""
	if p.Target != "" {
		name = p.Target + "  "
	}
	return fmt.Sprintf("%s%6.1fs  %d requests  %d errors  now %.0f req/s  p50 %.2fms  p99 %.2fms",
		name, p.Elapsed.Seconds(), p.Requests, p.Errors, p.Last.RequestsPerSec, p.Last.P50Ms, p.Last.P99Ms)
}
