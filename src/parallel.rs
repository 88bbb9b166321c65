//! Work spread over the machine's cores, results in input order.
//!
//! In: independent jobs (emitting one target, rendering one runbook, hashing one file). Out:
//! their results in the order of the jobs, so parallel output is byte-identical to sequential
//! output. Scoped threads take the next job from a shared counter until none is left; with one
//! core, or one job, everything runs on the calling thread. Also: [`gather`], for producers
//! that hand out results from several threads, and [`lock`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// How many threads parallel work uses: the cores available, at most 8.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
}

/// Locks `mutex`; a thread that panicked while holding it left data that is still usable here
/// (its panic is resumed by whoever joins it).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything `produce` hands to the sink it is given, from whichever threads, in one list (in
/// the order it arrived), with what `produce` returned.
pub fn gather<T: Send, R>(produce: impl FnOnce(&(dyn Fn(T) + Sync)) -> R) -> (Vec<T>, R) {
    let items = Mutex::new(Vec::new());
    let result = produce(&|item| lock(&items).push(item));
    (items.into_inner().unwrap_or_else(PoisonError::into_inner), result)
}

/// Drops `value` on a thread of its own, so that freeing a large value (the YAML tree of a big
/// spec is a million allocations) does not hold up the work after it. With one core, or when
/// no thread can be started, it is dropped here.
pub fn drop_aside<T: Send + 'static>(value: T) {
    if threads() > 1 {
        // A failed spawn drops the closure, and `value` with it, here.
        let _ = std::thread::Builder::new().name("genops-drop".into()).spawn(move || drop(value));
    }
}

/// `items.map(f)`, run on up to [`threads`] threads; results in the order of `items`.
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let workers = threads().min(items.len());
    if workers <= 1 {
        return items.into_iter().map(f).collect();
    }
    let jobs: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let results: Vec<Mutex<Option<R>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(slot) = jobs.get(i) else { break };
                    let job = lock(slot).take();
                    if let Some(job) = job {
                        let result = f(job);
                        *lock(&results[i]) = Some(result);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every job ran: a panic in one is resumed by scope")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_jobs() {
        let items: Vec<u64> = (0..1000).collect();
        let out = map(items, |i| {
            // Uneven work, so jobs finish out of order.
            std::hint::black_box((0..(i % 7) * 1000).sum::<u64>());
            i
        });
        assert_eq!(out, (0..1000).collect::<Vec<u64>>());
        assert!(map(Vec::<u8>::new(), |x| x).is_empty());
    }
}
