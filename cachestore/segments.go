package cachestore

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// segDirName is the subdirectory of Config.Dir that holds segment files.
const segDirName = "segments"

// Errors of segments.read. Both mean the frame is not there (any more):
// the entry is a miss, not a checksum failure.
var (
	errSegmentGone = errors.New("cachestore: segment gone")
	errShortFrame  = errors.New("cachestore: frame past the end of its segment")
)

// segments is the set of append-only segment files that hold entry
// frames (see frame.go), where each key's committed frame is (the pointer
// its Badger record holds, kept in memory too: see locations.go) and how
// many bytes of each segment are live (pointed at). Only the writer
// goroutine appends, to the one active segment; compaction removes sealed
// ones. Safe for concurrent use, except append (writer only).
type segments struct {
	dir      string // "" keeps segments in memory
	maxBytes int64  // a segment is sealed once the next frame would pass this

	mu     sync.RWMutex
	files  map[uint32]*segment
	live   map[uint32]int64 // bytes of committed frames, by segment id
	locs   *locTable        // where each key hash's committed frame is
	nextID uint32
	active *segment // the segment appended to; nil until the first append
}

type segment struct {
	id   uint32
	f    segFile
	size atomic.Int64 // bytes appended; frames below it are whole
}

// openSegments opens the segment files in dir/segments (creating it), or
// an empty in-memory set when dir is "". Locations and live bytes start
// empty: the caller adds them from the Badger records (loadIndex).
func openSegments(dir string, maxBytes int64) (*segments, error) {
	s := &segments{maxBytes: maxBytes, files: make(map[uint32]*segment), live: make(map[uint32]int64),
		locs: &locTable{}, nextID: 1}
	if dir == "" {
		return s, nil
	}
	s.dir = filepath.Join(dir, segDirName)
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("cachestore: segments: %w", err)
	}
	names, err := filepath.Glob(filepath.Join(s.dir, "*.seg"))
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		id, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(name), ".seg"), 10, 32)
		if err != nil || id == 0 {
			continue // not ours
		}
		seg, err := openSegment(name, uint32(id))
		if err != nil {
			s.close()
			return nil, err
		}
		s.files[seg.id] = seg
		s.nextID = max(s.nextID, seg.id+1)
	}
	return s, nil
}

// openSegment opens an existing segment file for reading.
func openSegment(name string, id uint32) (*segment, error) {
	f, err := os.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("cachestore: segments: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cachestore: segments: %w", err)
	}
	seg := &segment{id: id, f: diskSeg{f}}
	seg.size.Store(info.Size())
	return seg, nil
}

func (s *segments) path(id uint32) string {
	return filepath.Join(s.dir, fmt.Sprintf("%08d.seg", id))
}

// reserveIDs makes sure new segments get ids above id, which a Badger
// record points at: a record left pointing into a deleted segment must
// never point into a new one.
func (s *segments) reserveIDs(id uint32) {
	s.mu.Lock()
	s.nextID = max(s.nextID, id+1)
	s.mu.Unlock()
}

// append writes frames to the end of the active segment, sealing it and
// starting a new one when the next frame would not fit (a frame bigger
// than maxBytes gets a segment of its own), and returns where each frame
// went. Only the writer goroutine calls it. On error, frames may have been
// written partly; their bytes count as garbage.
func (s *segments) append(frames [][]byte) ([]pointer, error) {
	ptrs := make([]pointer, len(frames))
	for i := 0; i < len(frames); {
		seg, err := s.activeFor(int64(len(frames[i])))
		if err != nil {
			return nil, err
		}
		start := seg.size.Load()
		end, j := start, i
		for ; j < len(frames) && (j == i || end+int64(len(frames[j])) <= s.maxBytes); j++ {
			ptrs[j] = pointer{seg: seg.id, off: end, n: int64(len(frames[j]))}
			end += int64(len(frames[j]))
		}
		if err := seg.f.writeAt(frames[i:j], start); err != nil {
			s.seal()
			return nil, err
		}
		seg.size.Store(end)
		i = j
	}
	return ptrs, nil
}

// activeFor returns the segment a frame of n bytes goes to.
func (s *segments) activeFor(n int64) (*segment, error) {
	if a := s.active; a != nil && (a.size.Load() == 0 || a.size.Load()+n <= s.maxBytes) {
		return a, nil
	}
	return s.create()
}

// seal makes the next append start a new segment.
func (s *segments) seal() {
	s.mu.Lock()
	s.active = nil
	s.mu.Unlock()
}

func (s *segments) create() (*segment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seg := &segment{id: s.nextID}
	if s.dir == "" {
		seg.f = &memSeg{b: make([]byte, 0, s.maxBytes)}
	} else {
		f, err := os.OpenFile(s.path(seg.id), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("cachestore: new segment: %w", err)
		}
		seg.f = diskSeg{f}
	}
	s.nextID++
	s.files[seg.id] = seg
	s.active = seg
	return seg, nil
}

// read returns the n bytes at p, newly allocated. A segment that is gone
// or closed wraps errSegmentGone, a frame past its end errShortFrame.
func (s *segments) read(p pointer) ([]byte, error) {
	s.mu.RLock()
	seg := s.files[p.seg]
	s.mu.RUnlock()
	if seg == nil {
		return nil, errSegmentGone
	}
	if p.off+p.n > seg.size.Load() {
		return nil, errShortFrame
	}
	buf := make([]byte, p.n)
	n, err := seg.f.ReadAt(buf, p.off)
	switch {
	case n == len(buf):
		return buf, nil
	case errors.Is(err, os.ErrClosed):
		return nil, errSegmentGone
	case err == nil || errors.Is(err, io.EOF):
		return nil, errShortFrame
	default:
		return nil, err
	}
}

// remove closes and deletes segment id. Readers that raced it get
// errSegmentGone.
func (s *segments) remove(id uint32) error {
	s.mu.Lock()
	seg := s.files[id]
	delete(s.files, id)
	delete(s.live, id)
	s.mu.Unlock()
	if seg == nil {
		return nil
	}
	err := seg.f.Close()
	if s.dir != "" {
		err = errors.Join(err, os.Remove(s.path(id)))
	}
	return err
}

// garbage returns the sealed segments whose share of garbage is at least
// ratio (empty ones included), most garbage first. The active segment is
// never among them, and the writer never appends to a sealed one again.
func (s *segments) garbage(ratio float64) []uint32 {
	type cand struct {
		id      uint32
		garbage int64
	}
	var cs []cand
	s.mu.RLock()
	for id, seg := range s.files {
		if s.active == seg {
			continue
		}
		size := seg.size.Load()
		if g := size - s.live[id]; size == 0 || float64(g) >= ratio*float64(size) {
			cs = append(cs, cand{id, g})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(cs, func(a, b cand) int { return cmp.Compare(b.garbage, a.garbage) })
	ids := make([]uint32, len(cs))
	for i, c := range cs {
		ids[i] = c.id
	}
	return ids
}

// stats returns the number of segments and their total size.
func (s *segments) stats() (n int, bytes int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, seg := range s.files {
		bytes += seg.size.Load()
	}
	return len(s.files), bytes
}

// close closes every segment; the set is unusable afterwards.
func (s *segments) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	for _, seg := range s.files {
		err = errors.Join(err, seg.f.Close())
	}
	s.files, s.active = map[uint32]*segment{}, nil
	return err
}

// walk calls fn with the pointer and key hash of each frame of segment id,
// in order, reading headers only. It stops at the end, at the first
// damaged header (what follows is unreachable: a torn tail, or damage) or
// when fn returns false.
func (s *segments) walk(id uint32, fn func(p pointer, h uint64) bool) error {
	s.mu.RLock()
	seg := s.files[id]
	s.mu.RUnlock()
	if seg == nil {
		return errSegmentGone
	}
	size := seg.size.Load()
	var hdr [frameHeaderLen]byte
	for off := int64(0); off+frameHeaderLen <= size; {
		if _, err := seg.f.ReadAt(hdr[:], off); err != nil {
			return err
		}
		n, h, err := parseFrameHeader(hdr[:])
		if err != nil || off+n > size {
			return nil
		}
		if !fn(pointer{seg: id, off: off, n: n}, h) {
			return nil
		}
		off += n
	}
	return nil
}
