//! Memory by phase, for measuring (docs/benchmarks.md, "Memory at
//! scale"): heaptrack cannot see through mimalloc, so the binary built
//! with `--features alloc-count` wraps its allocator in [`Counting`], which
//! keeps the live heap and its peak; [`mark`] closes a phase, noting the
//! live heap at its end, the heap's peak during it, and the process's
//! peak resident memory during it (Linux: `VmHWM`, reset through
//! `/proc/self/clear_refs`), and its wall time (from the previous mark,
//! or from [`begin`]). Without the feature a mark does nothing.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static MARKS: Mutex<Vec<Mark>> = Mutex::new(Vec::new());
/// When the phase being measured began.
static PHASE_START: Mutex<Option<std::time::Instant>> = Mutex::new(None);

/// An allocator that counts the bytes live in `A`.
pub struct Counting<A>(pub A);

// SAFETY: every call is passed to `A` unchanged; the counters only
// observe the sizes.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { self.0.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { self.0.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { self.0.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { self.0.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

fn grew(n: usize) {
    let live = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

/// One phase as [`mark`] closed it. Bytes.
#[derive(Debug, Clone)]
pub struct Mark {
    pub phase: &'static str,
    /// The live heap when the phase ended.
    pub live: usize,
    /// The live heap's peak during the phase.
    pub peak: usize,
    /// The process's peak resident memory during the phase (0 when the
    /// system does not say).
    pub rss_peak: usize,
    /// The phase's wall time (zero for the first phase when [`begin`]
    /// was not called).
    pub wall: std::time::Duration,
}

/// Starts the first phase's clock.
pub fn begin() {
    if cfg!(feature = "alloc-count")
        && let Ok(mut start) = PHASE_START.lock()
    {
        *start = Some(std::time::Instant::now());
    }
}

/// Closes `phase`: notes its figures and starts the next phase's peaks
/// from now.
pub fn mark(phase: &'static str) {
    if cfg!(feature = "alloc-count") {
        record(phase);
    }
}

fn record(phase: &'static str) {
    let live = LIVE.load(Ordering::Relaxed);
    let peak = PEAK.swap(live, Ordering::Relaxed);
    let rss_peak = rss_peak().unwrap_or(0);
    let now = std::time::Instant::now();
    let wall = PHASE_START
        .lock()
        .ok()
        .and_then(|mut start| start.replace(now))
        .map(|began| now - began)
        .unwrap_or_default();
    // 5: reset the peak resident set size (proc(5), clear_refs). A
    // kernel control file, written in place: no temporary file can stand
    // in for it, and it is nothing of the user's.
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/self/clear_refs")
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"5"));
    if let Ok(mut m) = MARKS.lock() {
        m.push(Mark {
            phase,
            live,
            peak,
            rss_peak,
            wall,
        });
    }
}

/// The phases marked so far, in order.
pub fn marks() -> Vec<Mark> {
    MARKS.lock().map(|m| m.clone()).unwrap_or_default()
}

fn rss_peak() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
