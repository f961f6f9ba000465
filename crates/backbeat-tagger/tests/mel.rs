//! The log-mel front end against librosa (fixtures from `testdata/musicnn/make_mel_fixture.py`) and
//! against itself across chunkings.

use backbeat_tagger::mel::{frame_count, log_mel, MelError, MelFrame, MelFrontEnd, N_MELS};

fn fixture(name: &str) -> Vec<f32> {
    let path = format!(
        "{}/../../testdata/musicnn/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(bytes.len() % 4, 0, "{path} is not whole float32s");
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Feeds `samples` in chunks whose sizes cycle through `sizes`.
fn streamed(samples: &[f32], sizes: &[usize]) -> Vec<MelFrame> {
    let mut frames = Vec::new();
    let mut front = MelFrontEnd::new();
    let mut rest = samples;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        front.push(chunk, |f| frames.push(*f)).unwrap();
        rest = tail;
    }
    let total = front.finish(|f| frames.push(*f)).unwrap();
    assert_eq!(total, frames.len() as u64);
    frames
}

fn test_signal(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            0.5 * (std::f32::consts::TAU * 440.0 * t).sin() + 0.1 * (0.37 * i as f32).sin()
        })
        .collect()
}

#[test]
fn matches_librosa_within_1e_4() {
    let input = fixture("mel_input.f32");
    let expected = fixture("mel_expected.f32");
    let ours = log_mel(&input).unwrap();
    assert_eq!(
        ours.len() * N_MELS,
        expected.len(),
        "frame count differs from librosa"
    );
    let mut worst = (0.0f32, 0, 0);
    for (t, (frame, reference)) in ours.iter().zip(expected.chunks_exact(N_MELS)).enumerate() {
        for (m, (&a, &b)) in frame.iter().zip(reference).enumerate() {
            let diff = (a - b).abs();
            if diff > worst.0 {
                worst = (diff, t, m);
            }
        }
    }
    let (diff, t, m) = worst;
    assert!(
        diff <= 1e-4,
        "max |ours - librosa| = {diff:e} at frame {t}, band {m}"
    );
}

#[test]
fn frame_count_is_one_plus_samples_over_hop() {
    for n in [0, 1, 255, 256, 257, 511, 512, 513, 40_123] {
        let frames = log_mel(&test_signal(n)).unwrap();
        assert_eq!(frames.len() as u64, frame_count(n as u64), "{n} samples");
        assert_eq!(frames.len(), 1 + n / 256, "{n} samples");
    }
}

#[test]
fn streaming_in_odd_chunks_equals_one_shot_bit_for_bit() {
    let input = test_signal(16_000 * 3 + 77);
    let one_shot = log_mel(&input).unwrap();
    for sizes in [&[1][..], &[255], &[257], &[10_000], &[3, 1000, 1, 511, 64]] {
        let frames = streamed(&input, sizes);
        assert_eq!(frames.len(), one_shot.len(), "chunks {sizes:?}");
        for (t, (a, b)) in frames.iter().zip(&one_shot).enumerate() {
            let same = a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "chunks {sizes:?}: frame {t} differs");
        }
    }
}

#[test]
fn frames_are_emitted_as_soon_as_their_samples_arrive() {
    // Frame t needs samples up to t * 256 + 255; only the last frame waits for finish.
    let mut front = MelFrontEnd::new();
    let mut emitted = 0;
    front.push(&[0.1; 255], |_| emitted += 1).unwrap();
    assert_eq!(emitted, 0);
    front.push(&[0.1; 1], |_| emitted += 1).unwrap();
    assert_eq!(emitted, 1);
    front.push(&[0.1; 256 * 3], |_| emitted += 1).unwrap();
    assert_eq!(emitted, 4);
    assert_eq!(front.frames_emitted(), 4);
    assert_eq!(front.finish(|_| emitted += 1).unwrap(), 5);
    assert_eq!(emitted, 5);
}

#[test]
fn silence_gives_zeros() {
    let frames = log_mel(&[0.0; 16_000]).unwrap();
    assert_eq!(frames.len(), 63);
    assert!(frames.iter().flatten().all(|&v| v == 0.0));
}

#[test]
fn empty_input_gives_one_frame_of_zeros_as_librosa_does() {
    let frames = log_mel(&[]).unwrap();
    assert_eq!(frames, vec![[0.0; N_MELS]]);
}

#[test]
fn non_finite_input_is_an_error_naming_the_sample() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut input = test_signal(1000);
        input[700] = bad;
        match log_mel(&input) {
            Err(MelError::NonFiniteInput { index: 700, .. }) => {}
            other => panic!("{bad}: expected NonFiniteInput at 700, got {other:?}"),
        }
    }
}

#[test]
fn a_rejected_chunk_leaves_the_stream_untouched() {
    // The index counts from the stream's start, and the stream carries on as if the bad chunk
    // had never been pushed.
    let input = test_signal(5000);
    let mut frames = Vec::new();
    let mut front = MelFrontEnd::new();
    front.push(&input[..3000], |f| frames.push(*f)).unwrap();
    let err = front
        .push(&[0.0, f32::NAN], |f| frames.push(*f))
        .unwrap_err();
    assert!(matches!(err, MelError::NonFiniteInput { index: 3001, value } if value.is_nan()));
    front.push(&input[3000..], |f| frames.push(*f)).unwrap();
    front.finish(|f| frames.push(*f)).unwrap();
    assert_eq!(frames, log_mel(&input).unwrap());
}

#[test]
fn absurdly_large_input_is_an_error_not_infinite_features() {
    let input = vec![1e30; 2048];
    assert!(matches!(
        log_mel(&input),
        Err(MelError::NonFiniteOutput { frame: 0 })
    ));
}
