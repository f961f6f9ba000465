//! Signed URLs: every part of a URL is bound by the signature, nothing verifies after expiry,
//! and a URL for one key or operation never works for another.

use backbeat_store::signing::{valid_key, SignatureError, SignedOp, SignedQuery, UrlSigner};
use proptest::prelude::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test-secret";
const KEY: &str = "uploads/0190c0de-aaaa-7bbb-8ccc-123456789abc";
const NOW: i64 = 1_700_000_000;
const EXP: i64 = NOW + 900;

fn signer() -> UrlSigner {
    UrlSigner::new(SECRET)
}

fn verify_raw(op: SignedOp, key: &str, query: &str, now: i64) -> Result<(), SignatureError> {
    let q = SignedQuery::parse(query)?;
    signer().verify(op, key, &q, now)
}

#[test]
fn round_trip_get_and_put() {
    let s = signer();
    let get = s.sign(SignedOp::Get, KEY, EXP, None);
    assert!(get.starts_with(&format!("exp={EXP}&sig=")), "{get}");
    assert_eq!(verify_raw(SignedOp::Get, KEY, &get, NOW), Ok(()));

    let put = s.sign(SignedOp::Put, KEY, EXP, Some(5_000_000));
    assert!(
        put.starts_with(&format!("exp={EXP}&max=5000000&sig=")),
        "{put}"
    );
    let q = SignedQuery::parse(&put).unwrap();
    assert_eq!(q.max, Some(5_000_000));
    assert_eq!(s.verify(SignedOp::Put, KEY, &q, NOW), Ok(()));
}

#[test]
fn same_secret_same_signature_other_secret_refused() {
    let a = signer().sign(SignedOp::Get, KEY, EXP, None);
    let b = UrlSigner::new(SECRET).sign(SignedOp::Get, KEY, EXP, None);
    assert_eq!(a, b);
    let other = UrlSigner::new(b"another-secret-of-enough-length-0123456789");
    let q = SignedQuery::parse(&a).unwrap();
    assert_eq!(
        other.verify(SignedOp::Get, KEY, &q, NOW),
        Err(SignatureError::BadSignature)
    );
}

/// The derived key is not the secret: a plain HMAC(secret, canonical) must not verify.
#[test]
fn signature_uses_a_derived_key() {
    use base64::Engine as _;
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
    mac.update(format!("v1\nGET\n{KEY}\n{EXP}\n-").as_bytes());
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    let q = SignedQuery {
        exp: EXP,
        max: None,
        sig,
    };
    assert_eq!(
        signer().verify(SignedOp::Get, KEY, &q, NOW),
        Err(SignatureError::BadSignature)
    );
}

fn flip_each_byte(s: &str) -> impl Iterator<Item = (usize, String)> + '_ {
    (0..s.len()).flat_map(move |i| {
        [0x01u8, 0x20, 0x80].into_iter().map(move |mask| {
            let mut bytes = s.as_bytes().to_vec();
            bytes[i] ^= mask;
            (i, String::from_utf8_lossy(&bytes).into_owned())
        })
    })
}

#[test]
fn flipping_any_signature_byte_is_refused() {
    let query = signer().sign(SignedOp::Put, KEY, EXP, Some(1000));
    let q = SignedQuery::parse(&query).unwrap();
    assert_eq!(q.sig.len(), 43);
    for (i, sig) in flip_each_byte(&q.sig) {
        let bad = SignedQuery { sig, ..q.clone() };
        let res = signer().verify(SignedOp::Put, KEY, &bad, NOW);
        assert!(
            matches!(
                res,
                Err(SignatureError::BadSignature | SignatureError::Malformed)
            ),
            "byte {i}: {res:?}"
        );
    }
}

#[test]
fn flipping_any_key_byte_is_refused() {
    let query = signer().sign(SignedOp::Get, KEY, EXP, None);
    for (i, key) in flip_each_byte(KEY) {
        let res = verify_raw(SignedOp::Get, &key, &query, NOW);
        assert!(res.is_err(), "byte {i} of the key ({key:?}) still verifies");
    }
}

#[test]
fn flipping_any_expiry_byte_is_refused() {
    let s = signer();
    let q = SignedQuery::parse(&s.sign(SignedOp::Get, KEY, EXP, None)).unwrap();
    let exp = EXP.to_string();
    for (i, bad_exp) in flip_each_byte(&exp) {
        let query = format!("exp={bad_exp}&sig={}", q.sig);
        let res = verify_raw(SignedOp::Get, KEY, &query, NOW);
        assert!(res.is_err(), "byte {i} of exp ({bad_exp:?}) still verifies");
    }
    // Also every other expiry value nearby, including ones further in the future.
    for delta in [-1, 1, 60, 3600, i64::from(i32::MAX)] {
        let bad = SignedQuery {
            exp: EXP + delta,
            ..q.clone()
        };
        assert_eq!(
            s.verify(SignedOp::Get, KEY, &bad, NOW),
            Err(SignatureError::BadSignature)
        );
    }
}

#[test]
fn a_url_for_one_key_never_verifies_for_another() {
    let s = signer();
    let keys = [
        "a",
        "b",
        "a/b",
        "ab",
        "uploads/x",
        "uploads/x/",
        "uploads/x.mp3",
        KEY,
    ];
    for signed_for in keys {
        let q = SignedQuery::parse(&s.sign(SignedOp::Get, signed_for, EXP, None)).unwrap();
        for other in keys.iter().filter(|k| **k != signed_for) {
            assert!(
                s.verify(SignedOp::Get, other, &q, NOW).is_err(),
                "{signed_for} -> {other}"
            );
        }
    }
}

#[test]
fn get_and_put_signatures_are_not_interchangeable() {
    let s = signer();
    let get = SignedQuery::parse(&s.sign(SignedOp::Get, KEY, EXP, None)).unwrap();
    let with_max = SignedQuery {
        max: Some(1000),
        ..get.clone()
    };
    assert!(s.verify(SignedOp::Put, KEY, &get, NOW).is_err());
    assert_eq!(
        s.verify(SignedOp::Put, KEY, &with_max, NOW),
        Err(SignatureError::BadSignature)
    );

    let put = SignedQuery::parse(&s.sign(SignedOp::Put, KEY, EXP, Some(1000))).unwrap();
    assert_eq!(
        s.verify(SignedOp::Get, KEY, &put, NOW),
        Err(SignatureError::BadSignature)
    );
    let without_max = SignedQuery { max: None, ..put };
    assert_eq!(
        s.verify(SignedOp::Get, KEY, &without_max, NOW),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn max_is_bound_by_the_signature() {
    let s = signer();
    let q = SignedQuery::parse(&s.sign(SignedOp::Put, KEY, EXP, Some(1000))).unwrap();
    for max in [Some(999), Some(1001), Some(u64::MAX), Some(0), None] {
        let bad = SignedQuery { max, ..q.clone() };
        assert!(
            s.verify(SignedOp::Put, KEY, &bad, NOW).is_err(),
            "max {max:?}"
        );
    }
    // A max added to a GET URL is not covered by its signature.
    let get = SignedQuery::parse(&s.sign(SignedOp::Get, KEY, EXP, None)).unwrap();
    let bad = SignedQuery {
        max: Some(1),
        ..get
    };
    assert_eq!(
        s.verify(SignedOp::Get, KEY, &bad, NOW),
        Err(SignatureError::BadSignature)
    );
    // A PUT URL signed without a maximum never verifies.
    let unbounded = SignedQuery::parse(&s.sign(SignedOp::Put, KEY, EXP, None)).unwrap();
    assert_eq!(
        s.verify(SignedOp::Put, KEY, &unbounded, NOW),
        Err(SignatureError::Malformed)
    );
}

#[test]
fn expired_at_and_after_exp() {
    let query = signer().sign(SignedOp::Get, KEY, EXP, None);
    assert_eq!(verify_raw(SignedOp::Get, KEY, &query, EXP - 1), Ok(()));
    assert_eq!(
        verify_raw(SignedOp::Get, KEY, &query, EXP),
        Err(SignatureError::Expired)
    );
    assert_eq!(
        verify_raw(SignedOp::Get, KEY, &query, EXP + 86_400),
        Err(SignatureError::Expired)
    );
}

#[test]
fn garbage_signatures_and_queries_are_malformed() {
    let s = signer();
    for sig in [
        "",
        "x",
        "====",
        &"A".repeat(42),
        &"A".repeat(44),
        &"+".repeat(43),
        "é",
    ] {
        let q = SignedQuery {
            exp: EXP,
            max: None,
            sig: sig.to_owned(),
        };
        let res = s.verify(SignedOp::Get, KEY, &q, NOW);
        assert!(
            matches!(res, Err(SignatureError::Malformed)),
            "{sig:?}: {res:?}"
        );
    }
    let good = s.sign(SignedOp::Get, KEY, EXP, None);
    let sig = good.split("sig=").nth(1).unwrap();
    for query in [
        String::new(),
        format!("sig={sig}"),
        format!("exp={EXP}"),
        format!("exp=abc&sig={sig}"),
        format!("exp={EXP}&exp={EXP}&sig={sig}"),
        format!("exp={EXP}&sig={sig}&sig={sig}"),
        format!("exp={EXP}&max=-1&sig={sig}"),
    ] {
        assert_eq!(
            SignedQuery::parse(&query),
            Err(SignatureError::Malformed),
            "{query}"
        );
    }
    // Unknown parameters and parameter order do not matter.
    let reordered = format!("sig={sig}&utm=1&exp={EXP}");
    assert_eq!(verify_raw(SignedOp::Get, KEY, &reordered, NOW), Ok(()));
}

#[test]
fn invalid_keys_never_verify() {
    let s = signer();
    for key in [
        "",
        "../x",
        "a//b",
        ".",
        "a/../b",
        "/etc/passwd",
        "A",
        "a\nb",
        "ü",
    ] {
        let q = SignedQuery::parse(&s.sign(SignedOp::Get, key, EXP, None)).unwrap();
        assert_eq!(
            s.verify(SignedOp::Get, key, &q, NOW),
            Err(SignatureError::Malformed),
            "{key:?}"
        );
    }
}

#[test]
fn key_validation() {
    for ok in [
        "a",
        "uploads/abc-123",
        "derived/x/hls_128k.m3u8",
        "a.b",
        "a..b",
        "...",
        "x/.y",
    ] {
        assert!(valid_key(ok), "{ok:?} should be valid");
    }
    let long = "a".repeat(257);
    for bad in [
        "",
        "/",
        "a/",
        "/a",
        "a//b",
        ".",
        "..",
        "../x",
        "a/./b",
        "a/../b",
        "/etc/passwd",
        "A",
        "a b",
        "a\\b",
        "a\0b",
        "a#1",
        "a?b",
        "café",
        "a\nb",
        &long,
    ] {
        assert!(!valid_key(bad), "{bad:?} should be invalid");
    }
    assert!(valid_key(&"a".repeat(256)));
}

fn key_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec("[a-z0-9_-][a-z0-9._-]{0,20}", 1..5).prop_map(|segs| segs.join("/"))
}

proptest! {
    #[test]
    fn random_keys_round_trip_and_do_not_cross(
        key in key_strategy(),
        other in key_strategy(),
        exp in NOW + 1..NOW + 1_000_000,
        max in proptest::option::of(0u64..u64::MAX),
    ) {
        prop_assume!(valid_key(&key));
        let s = signer();
        let op = if max.is_some() { SignedOp::Put } else { SignedOp::Get };
        let q = SignedQuery::parse(&s.sign(op, &key, exp, max)).unwrap();
        prop_assert_eq!(s.verify(op, &key, &q, NOW), Ok(()));
        if other != key {
            prop_assert!(s.verify(op, &other, &q, NOW).is_err());
        }
    }
}
