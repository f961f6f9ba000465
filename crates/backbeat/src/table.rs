//! The human-readable table of `backbeat analyze --format table`.

use std::io::Write;

use crate::analyze::{Outcome, Record};

/// Write one aligned row per record.
pub fn write(w: &mut dyn Write, records: &[Record]) -> std::io::Result<()> {
    writeln!(
        w,
        "{:<40} {:>7} {:>6} {:>7} {:>6} {:>6} {:>9} {:>5} {:>5} {:>5} {:>5}",
        "file", "dur s", "codec", "LUFS", "LRA", "dBTP", "key", "BPM", "conf", "speech", "vocal"
    )?;
    for r in records {
        let name = tail(&r.path, 40);
        match &r.outcome {
            Outcome::Ok(a) => {
                let key = a
                    .key
                    .as_ref()
                    .map(|k| {
                        format!(
                            "{} {}",
                            k.tonic,
                            if matches!(k.mode, backbeat_audio::key::Mode::Major) {
                                "maj"
                            } else {
                                "min"
                            }
                        )
                    })
                    .unwrap_or_else(|| "-".into());
                writeln!(
                    w,
                    "{:<40} {:>7.1} {:>6} {:>7} {:>6.1} {:>6} {:>9} {:>5} {:>5.2} {:>6.2} {:>5.2}",
                    name,
                    a.file.duration_secs,
                    tail(&a.file.codec, 6),
                    opt(a.loudness.integrated_lufs, 1),
                    a.loudness.loudness_range_lu,
                    opt(a.loudness.true_peak_dbtp, 1),
                    key,
                    opt(a.rhythm.bpm, 0),
                    a.rhythm.confidence,
                    a.content.speech_probability,
                    a.content.vocal_probability,
                )?;
            }
            Outcome::Failed { error } => {
                writeln!(w, "{name:<40} FAILED ({}): {}", error.kind, error.message)?;
            }
        }
    }
    Ok(())
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map(|x| format!("{x:.decimals$}"))
        .unwrap_or_else(|| "-".into())
}

/// The last `n` characters of `s`, so long paths keep their informative end.
fn tail(s: &str, n: usize) -> String {
    let count = s.chars().count();
    if count <= n {
        s.to_string()
    } else {
        let skip = count - n + 1;
        format!("…{}", s.chars().skip(skip).collect::<String>())
    }
}
