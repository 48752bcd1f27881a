//! Independent jobs in parallel, one thread each, every job evaluating on a one-thread rayon
//! pool of its own: at the sizes one samples chains or fits candidate laws, one job per core
//! is faster than every job contending for all cores (faer's factorisations and the covariance
//! assembly then run sequentially inside each job).

use std::sync::Mutex;

/// Run `job(i, item)` for every item on `workers` threads (at least one), each thread taking the
/// next item as it finishes one. The results come back in the items' order; `None` for a job
/// that panicked (the others go on).
pub fn map<T: Send, R: Send>(
    items: Vec<T>,
    workers: usize,
    job: impl Fn(usize, T) -> R + Sync,
) -> Vec<Option<R>> {
    let n = items.len();
    let queue = Mutex::new(items.into_iter().enumerate());
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..n).map(|_| None).collect());
    let workers = workers.clamp(1, n.max(1));
    let one_thread = workers > 1;
    let work = || loop {
        let next = queue.lock().map(|mut q| q.next()).ok().flatten();
        let Some((i, item)) = next else { break };
        // A panicking job loses its result only (the scope would otherwise re-raise it).
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(i, item)));
        if let (Ok(r), Ok(mut out)) = (r, results.lock()) {
            out[i] = Some(r);
        }
    };
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                match one_thread
                    .then(|| rayon::ThreadPoolBuilder::new().num_threads(1).build().ok())
                    .flatten()
                {
                    Some(pool) => pool.install(work),
                    None => work(),
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// The number of cores, for [`map`]'s workers.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_their_order_and_a_panic_loses_only_its_job() {
        let out = super::map((0..20).collect(), 3, |i, v: i32| {
            assert_eq!(i as i32, v);
            if v == 7 {
                panic!("job 7");
            }
            v * v
        });
        for (i, r) in out.iter().enumerate() {
            if i == 7 {
                assert!(r.is_none());
            } else {
                assert_eq!(*r, Some((i * i) as i32));
            }
        }
        assert!(super::map(Vec::<i32>::new(), 4, |_, v| v).is_empty());
    }
}
