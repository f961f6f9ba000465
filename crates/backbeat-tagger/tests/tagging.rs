//! The tagger against the reference implementation (musicnn's own TensorFlow graph and
//! checkpoints, float32 log-mel): golden outputs in `testdata/musicnn/reference/`, made by
//! `testdata/musicnn/reference/generate.sh`. Needs the model files (`scripts/install-models.sh`, run by
//! `scripts/setup.sh`); without them these tests skip with a notice, and fail under
//! `BACKBEAT_REQUIRE_TOOLS=1` (CI).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use backbeat_tagger::groups::raw;
use backbeat_tagger::model::ModelKind;
use backbeat_tagger::tagger::{patch_count, pick_patches};
use backbeat_tagger::{
    default_models_dir, group, RawTags, Sampling, Tagger, TaggerError, Thresholds,
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
fn all_patch_tags_match_the_reference_implementation_within_1e_4() {
    let Some(tagger) = tagger() else { return };
    for file in ["chord_noise_7s.wav", "loud_guitar_8s.wav", "drums_6s.wav"] {
        let samples = read_wav16(&fixtures().join(file));
        let r = tagger.tag(&samples, Sampling::All).unwrap();
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
            assert!(d <= 1e-4, "{file} {model}: tags differ by {d}");
            let e = max_diff(&embedding, &floats(&line["penultimate_mean"]));
            assert!(e <= 1e-3, "{file} {model}: embedding differs by {e}");
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
    let single = Tagger::load_with_batch(&default_models_dir(), 1).unwrap();
    let one = single.tag(&samples, Sampling::All).unwrap();
    assert!(max_diff(&one.mtt, &whole.mtt) < 1e-5);
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
