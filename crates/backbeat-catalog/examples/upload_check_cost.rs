//! What the upload check costs on one file: the full decode the check used to do, and the
//! sampled check with the default limits and with the limits raised to admit the file.
//! `bench/upload_check.sh` makes the hostile file of issue 13 and runs this on it.

use std::path::PathBuf;
use std::time::Instant;

use backbeat_audio::decode::{DecodeLimits, DecodedStream};
use backbeat_catalog::audio_limits::AudioLimits;
use backbeat_catalog::{upload_check, CatalogConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path: PathBuf = std::env::args()
        .nth(1)
        .ok_or("usage: upload_check_cost FILE")?
        .into();

    let t = Instant::now();
    let mut stream = DecodedStream::open(&path, DecodeLimits::default())?;
    while stream.next_chunk()?.is_some() {}
    println!(
        "full decode (the check before):      {:>8.3} s  ({:.0} s of audio)",
        t.elapsed().as_secs_f64(),
        stream.info().duration_secs
    );

    let defaults = AudioLimits::of(&CatalogConfig::default());
    let t = Instant::now();
    let r = upload_check::check(path.clone(), defaults).await;
    println!(
        "sampled check, default limits:       {:>8.3} s  {}",
        t.elapsed().as_secs_f64(),
        outcome(&r)
    );

    let raised = AudioLimits {
        max_decoded_samples: u64::MAX,
        max_channels: 64,
        max_sample_rate: 768_000,
        max_duration_s: 24.0 * 3600.0,
        ..defaults
    };
    let t = Instant::now();
    let r = upload_check::check(path, raised).await;
    println!(
        "sampled check, limits raised:        {:>8.3} s  {}",
        t.elapsed().as_secs_f64(),
        outcome(&r)
    );
    Ok(())
}

fn outcome(r: &Result<backbeat_store::AudioFacts, backbeat_catalog::CatalogError>) -> String {
    match r {
        Ok(a) => format!("accepted, {} ms", a.duration_ms),
        Err(e) => format!("refused: {e}"),
    }
}
