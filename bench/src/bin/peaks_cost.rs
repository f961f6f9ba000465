//! What the `peaks` job costs on top of the decode the pipeline already does: decodes each file
//! once the way `downsample` does (mono, 22,050 Hz), then times `PeaksBuilder` over those
//! samples alone, as the job runs it. Single thread; the minimum of `--runs` runs of each step is
//! the CPU estimate (the work is CPU-bound and single-threaded, so wall time on an idle core is
//! its CPU time). Run by `bench/peaks_cost.sh`, which adds the peer (ffmpeg computing the same
//! min/max per 256 samples).
//!
//!   peaks_cost [--runs N] FILE...
//!
//! Prints one line per file: `file minutes decode_s peaks_s pixels`.

use std::path::PathBuf;
use std::time::Instant;

use backbeat_audio::peaks::{PeaksBuilder, DEFAULT_SAMPLES_PER_PIXEL};
use backbeat_audio::{AnalyzeOptions, ANALYSIS_RATE};

fn main() {
    let mut runs = 5usize;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .unwrap_or_else(|| usage("--runs takes a positive number"))
            }
            "-h" | "--help" => usage(""),
            _ => files.push(a.into()),
        }
    }
    if files.is_empty() {
        usage("give at least one audio file");
    }
    println!("file\tminutes\tdecode_s\tpeaks_s\tpixels");
    for f in &files {
        let mut decode_s = f64::INFINITY;
        let mut samples: Vec<f32> = Vec::new();
        for _ in 0..runs {
            samples.clear();
            let t = Instant::now();
            if let Err(e) =
                backbeat_audio::decode_for_analysis(f, &AnalyzeOptions::default(), |m| {
                    samples.extend_from_slice(m)
                })
            {
                eprintln!("{}: {e}", f.display());
                std::process::exit(1);
            }
            decode_s = decode_s.min(t.elapsed().as_secs_f64());
        }
        let mut peaks_s = f64::INFINITY;
        let mut pixels = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let mut b = PeaksBuilder::new(ANALYSIS_RATE, DEFAULT_SAMPLES_PER_PIXEL);
            // In the chunk size the decoder hands out, as the job sees a stored signal.
            for chunk in samples.chunks(4096) {
                b.push(chunk);
            }
            let p = std::hint::black_box(b.finish());
            peaks_s = peaks_s.min(t.elapsed().as_secs_f64());
            pixels = p.len();
        }
        let minutes = samples.len() as f64 / f64::from(ANALYSIS_RATE) / 60.0;
        println!(
            "{}\t{minutes:.3}\t{decode_s:.4}\t{peaks_s:.6}\t{pixels}",
            f.display()
        );
    }
}

fn usage(why: &str) -> ! {
    if !why.is_empty() {
        eprintln!("error: {why}");
    }
    eprintln!("usage: peaks_cost [--runs N] FILE...");
    std::process::exit(2)
}
