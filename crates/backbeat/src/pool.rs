//! The worker pool shared by the batch commands (`analyze`, `eval`).

/// A rayon pool of `jobs` threads (default: every core), and the thread count chosen.
///
/// Also silences the default panic hook: panics inside analysis are contained per file by
/// `analyze_file` and reported in that file's record, so the hook's backtrace would be noise.
pub fn worker_pool(jobs: Option<usize>) -> anyhow::Result<(rayon::ThreadPool, usize)> {
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    std::panic::set_hook(Box::new(|_| {}));
    Ok((pool, jobs))
}
