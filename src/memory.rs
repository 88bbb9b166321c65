//! Giving freed memory back to the system between the phases of a build.
//!
//! In: nothing. Out: nothing; the side effect is a smaller resident set. genops's binary and
//! benchmarks allocate with mimalloc, which keeps the memory a thread frees for that thread to
//! reuse and hands it back to the system only after a delay. A build frees hundreds of
//! megabytes at a time (the YAML tree after checking, a file once it is staged) on threads that
//! are done with it, while other threads allocate: without a collection at those points, the
//! freed and the new memory are both resident and the peak grows by half. Under another global
//! allocator (the test harness's), this only tidies mimalloc's own empty heap.

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
