//! Whether standard output was closed when escalate started (`>&-`). The
//! runtime reopens a closed descriptor on /dev/null before `main`, so that
//! every write would vanish without an error; this looks first.

use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Runs from the initialisers, before `main` and the runtime's reopening.
#[cfg(target_os = "linux")]
extern "C" fn probe() {
    let proc_fd = std::path::Path::new("/proc/self/fd");
    let closed = proc_fd.is_dir() && std::fs::symlink_metadata(proc_fd.join("1")).is_err();
    CLOSED.store(closed, Ordering::Relaxed);
}

#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static PROBE: extern "C" fn() = probe;

/// Standard output was closed at start: output would be lost.
pub fn stdout_was_closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}
