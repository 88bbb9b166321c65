//! Giving freed memory back to the system between the phases of a build, and not freeing
//! what the process's exit reclaims anyway.
//!
//! In: nothing. Out: nothing; the side effect is a smaller resident set. genops's binary and
//! benchmarks allocate with mimalloc, which keeps the memory a thread frees for that thread to
//! reuse and hands it back to the system only after a delay. A build frees hundreds of
//! megabytes at a time (the YAML tree after checking, a file once it is staged) on threads that
//! are done with it, while other threads allocate: without a collection at those points, the
//! freed and the new memory are both resident and the peak grows by half. Under another global
//! allocator (the test harness's), this only tidies mimalloc's own empty heap.

/// Whether the process exits as soon as the command returns (the `genops` binary): then large
/// values are left for the exit to reclaim instead of being freed allocation by allocation.
static EXIT_AFTER_RUN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Declares that the process exits when the command it runs returns (`cli::main`): from now on
/// [`release`] leaves values to the exit.
pub fn exit_after_run() {
    EXIT_AFTER_RUN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Drops `value`, unless the process is about to exit anyway ([`exit_after_run`]): freeing the
/// hundreds of megabytes of a large system's compilation and artifacts costs a tenth of a
/// build. In the library's other callers (tests, benchmarks) it is an ordinary drop.
pub fn release<T>(value: T) {
    if EXIT_AFTER_RUN.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

/// Returns the memory this thread freed (and that of threads that ended) to the system.
pub fn collect() {
    // SAFETY: `mi_collect` takes no pointer and may be called at any time on any thread.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Asks Linux to back this process's memory with ordinary 4 KiB pages only, never transparent
/// huge pages; call it first thing, before the large allocations. mimalloc asks for huge pages
/// on its arenas and gives freed memory back 64 KiB at a time: a 10,000-route build with huge
/// pages had 389 of them (778 MB) zeroed whole by the kernel and split 80 again (the kernel's
/// counters around one build), where it touches about 300 MB at a time. On the 2-core virtual
/// machine genops is measured on it spent 0.82–0.87 s of system time against 0.58–0.61 s
/// without (medians of alternated builds), and peaked 30–40 MB higher. Elsewhere this is a
/// no-op.
pub fn prefer_small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and changes nothing but how the
    // kernel backs this process's future page faults; it fails harmlessly on kernels without it.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
