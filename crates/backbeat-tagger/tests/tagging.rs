//! The tagger against the reference implementation (musicnn's own TensorFlow graph and
//! checkpoints, float32 log-mel): golden outputs in `testdata/musicnn/reference/`, made by
//! `testdata/musicnn/reference/generate.sh`. Needs the model files (`scripts/install-models.sh`, run by
//! `scripts/setup.sh`); without them these tests skip with a notice, and fail under
//! `BACKBEAT_REQUIRE_TOOLS=1` (CI).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use backbeat_tagger::backend::default_ort_library;
use backbeat_tagger::groups::raw;
use backbeat_tagger::model::ModelKind;
use backbeat_tagger::tagger::{patch_count, pick_patches};
use backbeat_tagger::{
    default_models_dir, group, Backend, BackendChoice, RawTags, Sampling, Tagger, TaggerError,
    TaggerOptions, Thresholds,
};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/musicnn/reference")
}

/// The loaded tagger, or `None` (after a notice) when the models are not installed here.
fn tagger() -> Option<&'static Tagger> {
    static TAGGER: OnceLock<Option<Tagger>> = OnceLock::new();
    TAGGER
        .get_or_init(|| match Tagger::load(&default_models_dir()) {
            Ok(t) => Some(t),
            Err(e @ TaggerError::ModelMissing { .. }) => {
                if std::env::var_os("BACKBEAT_REQUIRE_TOOLS").is_some() {
                    panic!("BACKBEAT_REQUIRE_TOOLS is set but {e}");
                }
                eprintln!("SKIP: {e}");
                None
            }
            Err(e) => panic!("{e}"),
        })
        .as_ref()
}

/// Both models on ONNX Runtime, or `None` (after a notice) when its library or the models are
/// not installed here (`scripts/setup.sh` installs both; mandatory under
/// `BACKBEAT_REQUIRE_TOOLS`).
fn ort_tagger() -> Option<&'static Tagger> {
    static TAGGER: OnceLock<Option<Tagger>> = OnceLock::new();
    TAGGER
        .get_or_init(|| {
            tagger()?;
            let library = default_ort_library();
            if !library.is_file() {
                if std::env::var_os("BACKBEAT_REQUIRE_TOOLS").is_some() {
                    panic!(
                        "BACKBEAT_REQUIRE_TOOLS is set but there is no ONNX Runtime library at {} \
                         (scripts/install-onnxruntime.sh)",
                        library.display()
                    );
                }
                eprintln!("SKIP: no ONNX Runtime library at {}", library.display());
                return None;
            }
            Some(with_backend(BackendChoice::Ort, Some(library)).unwrap())
        })
        .as_ref()
}

fn with_backend(backend: BackendChoice, library: Option<PathBuf>) -> Result<Tagger, TaggerError> {
    let options = TaggerOptions {
        backend,
        ort_library: library,
        ..TaggerOptions::default()
    };
    Tagger::load_with(&default_models_dir(), &options)
}

/// Every backend that can run here: tract always, ONNX Runtime when installed.
fn every_backend() -> Vec<&'static Tagger> {
    static TRACT: OnceLock<Option<Tagger>> = OnceLock::new();
    let tract = TRACT
        .get_or_init(|| tagger().map(|_| with_backend(BackendChoice::Tract, None).unwrap()))
        .as_ref();
    tract.into_iter().chain(ort_tagger()).collect()
}

/// 16-bit PCM mono WAV samples as librosa reads them (s / 32768).
fn read_wav16(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..4], b"RIFF");
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        if id == b"fmt " {
            let format = u16::from_le_bytes([bytes[pos + 8], bytes[pos + 9]]);
            let channels = u16::from_le_bytes([bytes[pos + 10], bytes[pos + 11]]);
            let rate = u32::from_le_bytes(bytes[pos + 12..pos + 16].try_into().unwrap());
            let bits = u16::from_le_bytes([bytes[pos + 22], bytes[pos + 23]]);
            assert_eq!((format, channels, rate, bits), (1, 1, 16_000, 16));
        }
        if id == b"data" {
            return bytes[pos + 8..pos + 8 + len]
                .chunks_exact(2)
                .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0)
                .collect();
        }
        pos += 8 + len + (len & 1);
    }
    panic!("no data chunk in {}", path.display());
}

/// Reference lines of one fixture file: (model name → JSON line).
fn reference(jsonl: &str, file: &str) -> Vec<Value> {
    std::fs::read_to_string(fixtures().join(jsonl))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["path"].as_str().unwrap().ends_with(file))
        .collect()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn ours(r: &RawTags, model: &str) -> (Vec<f32>, Vec<f32>) {
    match model {
        "MTT_musicnn" => (r.mtt.clone(), r.embedding[..200].to_vec()),
        "MSD_musicnn" => (r.msd.clone(), r.embedding[200..].to_vec()),
        other => panic!("unknown model {other}"),
    }
}

#[test]
fn all_patch_tags_match_the_reference_implementation_within_1e_4_on_every_backend() {
    for (tagger, file) in every_backend()
        .into_iter()
        .flat_map(|t| ["chord_noise_7s.wav", "loud_guitar_8s.wav", "drums_6s.wav"].map(|f| (t, f)))
    {
        let backend = tagger.backend();
        let samples = read_wav16(&fixtures().join(file));
        let r = tagger.tag(&samples, Sampling::All).unwrap();
        assert_eq!(r.backend, backend);
        let refs = reference("reference.jsonl", file);
        assert_eq!(refs.len(), 2, "{file}: one reference line per model");
        for line in refs {
            let model = line["model"].as_str().unwrap();
            assert_eq!(
                r.patches_used,
                line["n_patches"].as_u64().unwrap(),
                "{file}"
            );
            let (tags, embedding) = ours(&r, model);
            let d = max_diff(&tags, &floats(&line["tags"]));
            assert!(d <= 1e-4, "{backend} {file} {model}: tags differ by {d}");
            let e = max_diff(&embedding, &floats(&line["penultimate_mean"]));
            assert!(
                e <= 1e-3,
                "{backend} {file} {model}: embedding differs by {e}"
            );
        }
    }
}

#[test]
fn a_loud_distorted_guitar_gets_sane_tags_where_float16_features_break() {
    let Some(tagger) = tagger() else { return };
    let samples = read_wav16(&fixtures().join("loud_guitar_8s.wav"));
    let r = tagger.tag(&samples, Sampling::All).unwrap();
    // The defect: musicnn's float16 features are inf on every frame of this file, and its
    // tags collapse to the same answer for any such input ("guitar, indian, electronic").
    let broken = reference("loud_guitar_8s.float16.jsonl", "loud_guitar_8s.wav");
    let broken_mtt = broken.iter().find(|l| l["model"] == "MTT_musicnn").unwrap();
    assert!(broken_mtt["nonfinite_frames"].as_u64().unwrap() > 0);
    assert!(max_diff(&r.mtt, &floats(&broken_mtt["tags"])) > 0.1);
    // Ours: loud, and rock or metal among the genres.
    assert!(
        raw(&r, ModelKind::Mtt, "loud") > 0.5,
        "loud = {}",
        raw(&r, ModelKind::Mtt, "loud")
    );
    let g = group(&r, &Thresholds::default());
    assert!(g.mood.iter().any(|t| t.tag == "loud"), "{g:?}");
    assert!(
        g.genre.iter().any(|t| t.tag == "rock" || t.tag == "metal"),
        "no rock/metal in {g:?}"
    );
}

#[test]
fn silence_is_tagged_as_silent_with_no_grouped_tags() {
    let Some(tagger) = tagger() else { return };
    let r = tagger.tag(&vec![0.0; 16_000 * 10], Sampling::All).unwrap();
    assert!(r.silent);
    assert_eq!(r.patches_used, 3);
    let g = group(&r, &Thresholds::default());
    assert!(g.genre.is_empty() && g.instruments.is_empty() && g.vocals.is_none());
}

#[test]
fn audio_shorter_than_one_patch_is_padded_to_one() {
    let Some(tagger) = tagger() else { return };
    // The reference fails on this file ("shorter than one patch"); we tag one padded patch.
    let samples = read_wav16(&fixtures().join("chord_2s.wav"));
    for len in [samples.len(), 16_000, 1, 0] {
        let r = tagger.tag(&samples[..len], Sampling::All).unwrap();
        assert_eq!((r.patches_used, r.patches_total), (1, 1), "{len} samples");
        assert!(r.mtt.iter().chain(&r.msd).all(|p| (0.0..=1.0).contains(p)));
        assert_eq!(r.silent, len == 0);
    }
}

#[test]
fn nan_input_is_an_error_not_nan_tags() {
    let Some(tagger) = tagger() else { return };
    let mut samples = vec![0.1f32; 16_000 * 4];
    samples[20_000] = f32::NAN;
    let err = tagger.tag(&samples, Sampling::All).unwrap_err();
    assert!(err.to_string().contains("not finite"), "{err}");
    samples[20_000] = f32::INFINITY;
    assert!(tagger.tag(&samples, Sampling::All).is_err());
}

#[test]
fn streaming_in_chunks_and_batch_size_do_not_change_the_tags() {
    let Some(tagger) = tagger() else { return };
    let samples = read_wav16(&fixtures().join("chord_noise_7s.wav"));
    let whole = tagger.tag(&samples, Sampling::All).unwrap();
    let mut session = tagger.session(Sampling::All, None);
    for chunk in samples.chunks(1234) {
        session.push(chunk).unwrap();
    }
    assert_eq!(session.finish().unwrap(), whole);
    for batch in [1, 3] {
        let options = TaggerOptions {
            backend: match tagger.backend() {
                Backend::Tract => BackendChoice::Tract,
                Backend::Ort => BackendChoice::Ort,
            },
            batch,
            ..TaggerOptions::default()
        };
        let other = Tagger::load_with(&default_models_dir(), &options).unwrap();
        let r = other.tag(&samples, Sampling::All).unwrap();
        assert!(max_diff(&r.mtt, &whole.mtt) < 1e-5, "batch {batch}");
    }
}

#[test]
fn spread_sampling_tags_the_chosen_patches_only() {
    let Some(tagger) = tagger() else { return };
    // 40 s of the looped chord fixture: 13 patches; spread:4 runs 4 of them.
    let base = read_wav16(&fixtures().join("chord_noise_7s.wav"));
    let samples: Vec<f32> = base.iter().copied().cycle().take(16_000 * 40).collect();
    let r = tagger.tag(&samples, Sampling::Spread(4)).unwrap();
    assert_eq!((r.patches_used, r.patches_total), (4, 13));
    // Without a length up front, every patch is tagged.
    let mut s = tagger.session(Sampling::Spread(4), None);
    s.push(&samples).unwrap();
    assert_eq!(s.finish().unwrap().patches_used, 13);
    // A length estimate far too long still yields at least one patch.
    let mut s = tagger.session(Sampling::Spread(2), Some(16_000 * 3600));
    s.push(&samples).unwrap();
    assert!(s.finish().unwrap().patches_used >= 1);
}

#[test]
fn patch_picking_is_spread_and_bounded() {
    assert_eq!(patch_count(0), 1);
    assert_eq!(patch_count(186), 1);
    assert_eq!(patch_count(187), 1);
    assert_eq!(patch_count(374), 2);
    assert_eq!(pick_patches(Sampling::Spread(4), 13), vec![1, 4, 8, 11]);
    assert_eq!(pick_patches(Sampling::Spread(8), 5), vec![0, 1, 2, 3, 4]);
    assert_eq!(pick_patches(Sampling::All, 3), vec![0, 1, 2]);
    let p = pick_patches(Sampling::Spread(8), 1200);
    assert_eq!(p.len(), 8);
    assert!(p.windows(2).all(|w| w[0] < w[1]) && *p.last().unwrap() < 1200);
    assert_eq!("all".parse::<Sampling>(), Ok(Sampling::All));
    assert_eq!("spread:3".parse::<Sampling>(), Ok(Sampling::Spread(3)));
    assert_eq!("5".parse::<Sampling>(), Ok(Sampling::Spread(5)));
    assert!("0".parse::<Sampling>().is_err() && "some".parse::<Sampling>().is_err());
}

#[test]
fn a_missing_model_names_the_file_and_the_install_command() {
    let dir = tempdir("missing");
    let err = Tagger::load(&dir).err().expect("no models here");
    let msg = err.to_string();
    assert!(msg.contains("MTT_musicnn.onnx"), "{msg}");
    assert!(msg.contains("install-models.sh"), "{msg}");
}

#[test]
fn a_corrupt_or_truncated_model_names_the_file_and_the_install_command() {
    let dir = tempdir("corrupt");
    std::fs::create_dir_all(dir.join("musicnn")).unwrap();
    let file = dir.join("musicnn/MTT_musicnn.onnx");
    for bytes in [b"not a model at all".to_vec(), Vec::new(), vec![0xFF; 4096]] {
        std::fs::write(&file, &bytes).unwrap();
        let msg = Tagger::load(&dir).err().expect("corrupt model").to_string();
        assert!(
            msg.contains("MTT_musicnn.onnx") && msg.contains("unusable"),
            "{msg}"
        );
        assert!(msg.contains("install-models.sh"), "{msg}");
    }
    // A real model file cut in half.
    let real = default_models_dir().join("musicnn/MTT_musicnn.onnx");
    if let Ok(bytes) = std::fs::read(real) {
        std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
        let msg = Tagger::load(&dir)
            .err()
            .expect("truncated model")
            .to_string();
        assert!(
            msg.contains("MTT_musicnn.onnx") && msg.contains("unusable"),
            "{msg}"
        );
    }
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("backbeat-tagger-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn ort_and_tract_agree_patch_for_patch() {
    let Some(ort) = ort_tagger() else { return };
    let tract = with_backend(BackendChoice::Tract, None).unwrap();
    assert_eq!(
        (ort.backend(), tract.backend()),
        (Backend::Ort, Backend::Tract)
    );
    for file in ["chord_noise_7s.wav", "loud_guitar_8s.wav", "drums_6s.wav"] {
        let samples = read_wav16(&fixtures().join(file));
        let a = ort.tag(&samples, Sampling::All).unwrap();
        let b = tract.tag(&samples, Sampling::All).unwrap();
        let tags = max_diff(&a.mtt, &b.mtt).max(max_diff(&a.msd, &b.msd));
        let embedding = max_diff(&a.embedding, &b.embedding);
        eprintln!("{file}: ort vs tract, tags {tags:.2e}, embedding {embedding:.2e}");
        assert!(tags <= 1e-5, "{file}: tags differ by {tags}");
        assert!(
            embedding <= 1e-4,
            "{file}: embedding differs by {embedding}"
        );
    }
    // Many threads share one tagger: each run borrows its own session.
    let samples = read_wav16(&fixtures().join("drums_6s.wav"));
    let alone = ort.tag(&samples, Sampling::All).unwrap();
    std::thread::scope(|s| {
        let runs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| ort.tag(&samples, Sampling::All).unwrap()))
            .collect();
        for r in runs {
            assert_eq!(r.join().unwrap(), alone);
        }
    });
}

#[test]
fn a_missing_or_broken_ort_library_means_tract_on_auto_and_an_error_on_ort() {
    if tagger().is_none() {
        return;
    }
    let dir = tempdir("ortlib");
    let mut libraries = vec![
        dir.join("absent/libonnxruntime.so"),
        dir.join("garbage.so"),
        dir.join("empty.so"),
    ];
    std::fs::write(&libraries[1], b"this is not a shared library").unwrap();
    std::fs::write(&libraries[2], b"").unwrap();
    // An interrupted download: dlopen of a cut ELF file dies of SIGBUS unless refused first.
    if let Ok(real) = std::fs::read(default_ort_library()) {
        for (name, keep) in [("half.so", real.len() / 2), ("head.so", 5000)] {
            std::fs::write(dir.join(name), &real[..keep]).unwrap();
            libraries.push(dir.join(name));
        }
    }
    // A real library that is not ONNX Runtime.
    let libm = Path::new("/lib/x86_64-linux-gnu/libm.so.6");
    if libm.is_file() {
        libraries.push(libm.to_path_buf());
    }
    for library in libraries {
        let auto = with_backend(BackendChoice::Auto, Some(library.clone())).unwrap();
        assert_eq!(auto.backend(), Backend::Tract, "{}", library.display());
        let err = with_backend(BackendChoice::Ort, Some(library.clone()))
            .err()
            .expect("ort without a usable library");
        let msg = err.to_string();
        assert!(matches!(err, TaggerError::Backend(_)), "{msg}");
        assert!(
            msg.contains(&library.display().to_string()) && !msg.contains('\n'),
            "{msg}"
        );
        assert!(msg.contains("setup.sh"), "{msg}");
    }
}
