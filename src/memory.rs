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
