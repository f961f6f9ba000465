//! Real CMAF files written by the system ffmpeg, the way the transcode job will write them
//! (one process, `hls` muxer, fMP4 segments), measured into a [`Ladder`] with
//! `parse_init`/`parse_segment`. Generated once per test run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use backbeat_media::fmp4::{parse_init, parse_segment};
use backbeat_media::model::{Codec, Ladder, Rendition, Rung, Segment};

/// Whether `tool` runs. Absent, the calling test is skipped with a notice — unless
/// `BACKBEAT_REQUIRE_TOOLS=1`, where an absent tool fails it.
pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("BACKBEAT_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{tool} is required (BACKBEAT_REQUIRE_TOOLS=1) but does not run"
        );
        eprintln!("SKIP: {tool} not found on PATH; install it (scripts/setup.sh) to run this test");
    }
    ok
}

/// Runs a command, failing the test with its stderr if it fails; returns stdout.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// [`run`], also failing on anything written to stderr (a client at `-v error` that could
/// not open a segment still exits 0, but says so).
pub fn run_clean(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("spawn");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "{cmd:?}: {stderr}"
    );
    out.stdout
}

/// The rungs of the fixture, with the ffmpeg encoder arguments of each.
pub const RUNGS: [(&str, &[&str]); 5] = [
    ("aac-96", &["-c:a", "aac", "-b:a", "96k"]),
    ("aac-160", &["-c:a", "aac", "-b:a", "160k"]),
    ("opus-64", &["-c:a", "libopus", "-b:a", "64k"]),
    ("opus-96", &["-c:a", "libopus", "-b:a", "96k"]),
    // ffmpeg 5.1 calls FLAC in MP4 experimental.
    ("flac", &["-c:a", "flac", "-strict", "-2"]),
];

/// Seconds of audio in the fixture: two full 6.08 s segments and a short one.
pub const SOURCE_S: f64 = 14.0;

/// A packaged track on disk.
pub struct Packaged {
    pub dir: PathBuf,
    pub ladder: Ladder,
}

/// The fixture, or `None` (skipped) without ffmpeg.
pub fn packaged() -> Option<&'static Packaged> {
    static FIXTURE: OnceLock<Packaged> = OnceLock::new();
    if !have("ffmpeg") {
        return None;
    }
    Some(FIXTURE.get_or_init(|| {
        // In the target directory's scratch space, replaced on each run (not left in /tmp);
        // one per process, as nextest runs each test in a process of its own.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("backbeat-media-ladder-{}", std::process::id()));
        package(&dir, SOURCE_S, &RUNGS)
    }))
}

/// Encodes `seconds` of two tones into `rungs` with one ffmpeg process, the way the
/// transcode job does, in a fresh `dir`, and measures the files.
pub fn package(dir: &Path, seconds: f64, rungs: &[(&str, &[&str])]) -> Packaged {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let labels: String = rungs.iter().map(|(id, _)| format!("[{id}]")).collect();
    let split = format!(
        "[0:a]aresample=48000,aformat=channel_layouts=stereo,asplit={}{labels}",
        rungs.len()
    );
    let mut cmd = Command::new("ffmpeg");
    cmd.current_dir(dir)
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"]);
    // Two tones so that the signal is not a single sinusoid.
    cmd.arg(format!(
        "sine=f=440:d={seconds}:sample_rate=44100,volume=0.5[a];\
         sine=f=1234:d={seconds}:sample_rate=44100[b];[a][b]amix=2"
    ));
    cmd.args(["-filter_complex", &split]);
    for (id, codec) in rungs {
        cmd.args(["-map", &format!("[{id}]")]).args(*codec);
        cmd.args([
            "-f",
            "hls",
            "-hls_segment_type",
            "fmp4",
            "-hls_time",
            "6.08",
        ]);
        cmd.args(["-hls_playlist_type", "vod"]);
        cmd.args(["-hls_fmp4_init_filename", &format!("{id}-init.mp4")]);
        cmd.args(["-hls_segment_filename", &format!("{id}-%05d.m4s")]);
        cmd.arg(format!("ffmpeg-{id}.m3u8"));
    }
    run(&mut cmd);
    let renditions = rungs.iter().map(|(id, _)| measure(dir, id)).collect();
    Packaged {
        dir: dir.to_path_buf(),
        ladder: Ladder {
            renditions,
            segment_s: 6.08,
        },
    }
}

/// A rendition measured from its files: `<id>-init.mp4` and `<id>-NNNNN.m4s`.
pub fn measure(dir: &Path, id: &str) -> Rendition {
    let init_name = format!("{id}-init.mp4");
    let init_bytes = std::fs::read(dir.join(&init_name)).unwrap();
    let info = parse_init(&init_bytes).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| {
            n.strip_prefix(&format!("{id}-"))
                .and_then(|rest| rest.strip_suffix(".m4s"))
                .is_some_and(|num| num.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    names.sort();
    let segments = names
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            let s = parse_segment(&bytes).unwrap();
            Segment {
                name,
                start: s.start,
                duration: s.duration,
                bytes: bytes.len() as u64,
            }
        })
        .collect();
    let rung = match info.codec {
        Codec::Flac => Rung::flac(),
        c => Rung::lossy(c, id.rsplit('-').next().unwrap().parse().unwrap()),
    };
    Rendition {
        id: id.to_string(),
        rung,
        codecs: info.codecs,
        sample_rate: info.sample_rate,
        channels: info.channels,
        timescale: info.timescale,
        init: init_name,
        init_bytes: init_bytes.len() as u64,
        playlist: format!("{id}.m3u8"),
        segments,
    }
}

/// `s` with `%XX` escapes decoded (the validators read URIs as a client would).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
