//! Signed URLs: every part of a URL is bound by the signature, nothing verifies after expiry,
//! and a URL for one key or operation never works for another.

use backbeat_store::signing::{
    split_prefix_token, valid_key, PrefixToken, SignatureError, SignedOp, SignedQuery, UrlSigner,
    MAX_KEY_LEN,
};
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

/// Found by `fuzz/fuzz_targets/signing.rs`: `exp=0{exp}` and `exp=+{exp}` (and the same for
/// `max`) parsed as the signed numbers, so one grant had many spellings that all verified.
#[test]
fn numbers_have_one_spelling() {
    let s = signer();
    let good = s.sign(SignedOp::Put, KEY, EXP, Some(100));
    assert_eq!(verify_raw(SignedOp::Put, KEY, &good, NOW), Ok(()));
    let sig = good.split("sig=").nth(1).unwrap();
    for query in [
        format!("exp=0{EXP}&max=100&sig={sig}"),
        format!("exp=+{EXP}&max=100&sig={sig}"),
        format!("exp={EXP}&max=0100&sig={sig}"),
        format!("exp={EXP}&max=+100&sig={sig}"),
        format!("exp=-0&max=100&sig={sig}"),
    ] {
        assert_eq!(
            SignedQuery::parse(&query),
            Err(SignatureError::Malformed),
            "{query}"
        );
    }
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

// ---- Prefix grants: `~{depth}.{exp}.{sig}/{prefix}/…`, read-only, every object below a prefix.

const PREFIX: &str = "audio/ab";

/// The token segment and the key that follows it, for `rest` appended below a signed prefix.
fn split(path: &str) -> (PrefixToken, &str) {
    split_prefix_token(path)
        .expect("well-formed token")
        .expect("path carries a token")
}

fn grant(prefix: &str) -> String {
    signer().sign_prefix(prefix, EXP).unwrap()
}

/// `grant`'s token segment, parsed.
fn token_for(prefix: &str) -> PrefixToken {
    split(&format!("{}/x", grant(prefix))).0
}

fn verify_path(path: &str, now: i64) -> Result<(), SignatureError> {
    match split_prefix_token(path)? {
        Some((token, key)) => signer().verify_prefix(&token, key, now),
        None => Err(SignatureError::Malformed),
    }
}

/// A token segment with its fields replaced verbatim.
fn token_str(depth: &str, exp: &str, sig: &str) -> String {
    format!("~{depth}.{exp}.{sig}")
}

fn sig_of(token: &PrefixToken) -> String {
    token.to_string().rsplit('.').next().unwrap().to_owned()
}

#[test]
fn prefix_round_trip() {
    let signed = grant(PREFIX);
    let (segment, prefix) = signed.split_once('/').unwrap();
    assert_eq!(prefix, PREFIX);
    assert!(segment.starts_with(&format!("~2.{EXP}.")), "{segment}");
    assert_eq!(segment.len(), "~2.".len() + EXP.to_string().len() + 1 + 43);
    assert!(
        !valid_key(segment),
        "a token segment is never a key segment"
    );

    for rest in [
        "x",
        "cd/track/hls/seg-001.m4s",
        "hls/master.m3u8",
        "a/b/c/d/e/f",
    ] {
        let path = format!("{signed}/{rest}");
        let (token, key) = split(&path);
        assert_eq!(key, format!("{PREFIX}/{rest}"));
        assert_eq!(token.depth(), 2);
        assert_eq!(token.exp(), EXP);
        assert_eq!(token.to_string(), segment, "Display gives the segment back");
        assert_eq!(signer().verify_prefix(&token, key, NOW), Ok(()), "{path}");
    }

    // One segment and a long prefix work the same way.
    let long = "derived/0190c0de-aaaa-7bbb-8ccc-123456789abc/hls_128k";
    for prefix in ["a", long] {
        let path = format!("{}/seg-001.m4s", grant(prefix));
        assert_eq!(verify_path(&path, NOW), Ok(()), "{path}");
        assert_eq!(split(&path).0.depth(), prefix.split('/').count());
    }
}

/// RFC 3986 §5.2 resolution of a relative path reference against a base path (enough for the
/// segment and dot-segment references a manifest holds).
fn resolve(base: &str, reference: &str) -> String {
    let dir = &base[..=base.rfind('/').unwrap()];
    let mut out: Vec<&str> = Vec::new();
    let joined = format!("{dir}{reference}");
    let segs: Vec<&str> = joined.split('/').collect();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        match *seg {
            "." if last => out.push(""),
            "." => {}
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

#[test]
fn relative_urls_in_a_manifest_inherit_the_grant() {
    let prefix = "derived/t1";
    let manifest = format!("/blobs/{}/hls/master.m3u8", grant(prefix));
    let route = |url: &str| url.strip_prefix("/blobs/").unwrap().to_owned();
    assert_eq!(verify_path(&route(&manifest), NOW), Ok(()));
    for inside in [
        "seg-001.m4s",
        "./seg-002.m4s",
        "128k/seg-003.m4s",
        "../dash/a.mpd",
        "../../t1/hls/x.m4s",
    ] {
        let url = resolve(&manifest, inside);
        assert_eq!(verify_path(&route(&url), NOW), Ok(()), "{inside} -> {url}");
    }
    // Climbing out of the prefix changes the signed segments or drops the token.
    for outside in [
        "../../t2/hls/seg.m4s",
        "../../../audio/x",
        "../../../../blobs/audio/x",
        "../..",
        "../../",
    ] {
        let url = resolve(&manifest, outside);
        let res = url
            .strip_prefix("/blobs/")
            .map_or(Err(SignatureError::Malformed), |p| verify_path(p, NOW));
        assert!(res.is_err(), "{outside} -> {url} still verifies");
    }
}

#[test]
fn prefix_expired_at_and_after_exp() {
    let path = format!("{}/x", grant(PREFIX));
    assert_eq!(verify_path(&path, EXP - 1), Ok(()));
    assert_eq!(verify_path(&path, EXP), Err(SignatureError::Expired));
    assert_eq!(
        verify_path(&path, EXP + 86_400),
        Err(SignatureError::Expired)
    );
    // An expired grant is still a valid one: the expiry is checked after the MAC.
    let other = UrlSigner::new(b"another-secret-of-enough-length-0123456789");
    let (token, key) = split(&path);
    assert_eq!(
        other.verify_prefix(&token, key, EXP + 1),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn prefix_other_secret_refused() {
    let path = format!("{}/x", grant(PREFIX));
    assert_eq!(
        grant(PREFIX),
        UrlSigner::new(SECRET).sign_prefix(PREFIX, EXP).unwrap()
    );
    let other = UrlSigner::new(b"another-secret-of-enough-length-0123456789");
    let (token, key) = split(&path);
    assert_eq!(
        other.verify_prefix(&token, key, NOW),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn prefix_tampered_signature_is_refused() {
    let token = token_for(PREFIX);
    let sig = sig_of(&token);
    for (i, bad) in flip_each_byte(&sig) {
        let res = verify_path(
            &format!("{}/{PREFIX}/x", token_str("2", &EXP.to_string(), &bad)),
            NOW,
        );
        assert!(
            matches!(
                res,
                Err(SignatureError::BadSignature | SignatureError::Malformed)
            ),
            "byte {i}: {res:?}"
        );
    }
    // A second spelling of the same tag (non-zero trailing bits) is not accepted.
    const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = B64.find(sig.chars().last().unwrap()).unwrap();
    assert_eq!(
        last % 4,
        0,
        "32 bytes leave the last character's low two bits zero"
    );
    for low in 1..4 {
        let alt = format!("{}{}", &sig[..42], &B64[last + low..=last + low]);
        assert_eq!(
            token_str("2", &EXP.to_string(), &alt)
                .parse::<PrefixToken>()
                .err(),
            Some(SignatureError::Malformed),
            "{alt}"
        );
    }
}

#[test]
fn prefix_tampered_expiry_is_refused() {
    let token = token_for(PREFIX);
    let sig = sig_of(&token);
    let exp = EXP.to_string();
    for (i, bad) in flip_each_byte(&exp) {
        let res = verify_path(&format!("{}/{PREFIX}/x", token_str("2", &bad, &sig)), NOW);
        assert!(res.is_err(), "byte {i} of exp ({bad:?}) still verifies");
    }
    for delta in [-1, 1, 60, 3600, i64::from(i32::MAX)] {
        let bad = token_str("2", &(EXP + delta).to_string(), &sig);
        assert_eq!(
            verify_path(&format!("{bad}/{PREFIX}/x"), NOW),
            Err(SignatureError::BadSignature),
            "{delta}"
        );
    }
    // Other spellings of the same expiry are not the same token.
    for spelled in [format!("0{EXP}"), format!("+{EXP}"), format!("{EXP}.0")] {
        let bad = token_str("2", &spelled, &sig);
        assert_eq!(
            verify_path(&format!("{bad}/{PREFIX}/x"), NOW),
            Err(SignatureError::Malformed),
            "{spelled}"
        );
    }
}

#[test]
fn prefix_tampered_depth_is_refused() {
    let sig = sig_of(&token_for(PREFIX));
    let exp = EXP.to_string();
    let key = "audio/ab/cd/ef";
    let with_depth = |d: &str| verify_path(&format!("{}/{key}", token_str(d, &exp, &sig)), NOW);
    assert_eq!(with_depth("2"), Ok(()));
    // Shallower or deeper selects a prefix that was never signed.
    assert_eq!(with_depth("1"), Err(SignatureError::BadSignature));
    assert_eq!(with_depth("3"), Err(SignatureError::BadSignature));
    // As deep as the key or deeper: nothing would be left below the prefix.
    for d in ["4", "5", "100", "127"] {
        assert_eq!(with_depth(d), Err(SignatureError::OutsidePrefix), "{d}");
    }
    // Not a depth at all.
    for d in [
        "0", "02", "128", "999", "1000", "-1", "+2", "", " 2", "2 ", "x", "٢",
    ] {
        assert_eq!(with_depth(d), Err(SignatureError::Malformed), "{d:?}");
    }
}

#[test]
fn key_outside_the_prefix_is_refused() {
    let token = token_for(PREFIX);
    let s = signer();
    // The prefix itself and anything shorter are not below it.
    for key in ["audio/ab", "audio", "ab"] {
        assert_eq!(
            s.verify_prefix(&token, key, NOW),
            Err(SignatureError::OutsidePrefix),
            "{key}"
        );
    }
    // Elsewhere, and siblings that share the prefix's bytes but not its segments.
    for key in [
        "audio/cd/x",
        "video/ab/x",
        "ab/audio/x",
        "audio/abc/x",
        "audio/ab-x/y",
        "audio/ab.m4s/x",
        "audio/a/b",
        "audio/a/b/x",
        "audioab/x/y",
        "audio/b/ab/x",
        "x/audio/ab/y",
    ] {
        assert_eq!(
            s.verify_prefix(&token, key, NOW),
            Err(SignatureError::BadSignature),
            "{key}"
        );
    }
    // And the same through the path: the sibling `audio/abc` does not borrow `audio/ab`.
    let segment = grant(PREFIX).split_once('/').unwrap().0.to_owned();
    assert_eq!(
        verify_path(&format!("{segment}/audio/abc/x"), NOW),
        Err(SignatureError::BadSignature)
    );
    assert_eq!(verify_path(&format!("{segment}/audio/ab/x"), NOW), Ok(()));
}

#[test]
fn traversal_below_a_prefix_is_malformed() {
    let segment = grant(PREFIX).split_once('/').unwrap().0.to_owned();
    for rest in [
        "audio/ab/../x",
        "audio/ab/../../etc/passwd",
        "audio/ab/..",
        "audio/ab/./x",
        "audio/ab/.",
        "audio/ab//x",
        "audio/ab/",
        "audio/ab/x/",
        "/audio/ab/x",
        "",
        "audio/ab/%2e%2e/x",
        "audio/ab/%2E%2E/x",
        "audio/ab/..%2fx",
        "audio/ab/x%2f..%2f..%2fy",
        "audio/ab/%2fetc",
        "audio/ab/%00",
        "audio/ab\\..\\x",
        "audio/ab/..\\x",
        "audio/ab/x\n",
        "audio/ab/x\0",
        "audio/ab/x?sig=1",
        "audio/ab/x#f",
        "audio/ab/X",
        "audio/ab/é",
        "audio/ab/\u{2024}\u{2024}/x",
    ] {
        assert_eq!(
            verify_path(&format!("{segment}/{rest}"), NOW),
            Err(SignatureError::Malformed),
            "{rest:?}"
        );
    }
    // A key that would be well formed but too long.
    let long = format!("{segment}/audio/ab/{}", "a".repeat(MAX_KEY_LEN));
    assert_eq!(verify_path(&long, NOW), Err(SignatureError::Malformed));
    // A second token in the key is just an invalid key.
    let twice = format!("{segment}/{segment}/audio/ab/x");
    assert_eq!(verify_path(&twice, NOW), Err(SignatureError::Malformed));
}

#[test]
fn garbage_tokens_are_malformed() {
    let sig = sig_of(&token_for(PREFIX));
    let exp = EXP.to_string();
    let huge = format!("~{}", "9".repeat(100_000));
    let dots = format!("~{}", ".".repeat(10_000));
    let overlong_exp = token_str("2", &"9".repeat(20), &sig);
    let max_plus_one = token_str("2", "9223372036854775808", &sig);
    let garbage = [
        "",
        "~",
        "~.",
        "~..",
        "~...",
        "~~",
        "~2",
        "~2.",
        "~2.1",
        "~2.1.",
        "~..x",
        "~9999999999.1.x",
        "~2.1.x",
        "~2.9999999999.x",
        "2.1767000000.x",
        "~ 2.1.x",
        "~2.1.x\n",
        "~\u{0}",
        "~é.é.é",
        &huge,
        &dots,
        &overlong_exp,
        &max_plus_one,
        &token_str("x", &exp, &sig),
        &token_str("2", "abc", &sig),
        &token_str("2", "", &sig),
        &token_str("2", "-1", &sig),
        &token_str("2", "1e9", &sig),
        &token_str("2", "0x10", &sig),
        &token_str("2", &exp, ""),
        &token_str("2", &exp, &sig[..42]),
        &token_str("2", &exp, &format!("{sig}A")),
        &token_str("2", &exp, &format!("{sig}=")),
        &token_str(
            "2",
            &exp,
            &sig.replace(|c: char| c.is_ascii_alphabetic(), "+"),
        ),
        &token_str("2", &exp, &"/".repeat(43)),
        &token_str("2", &exp, &"é".repeat(22)),
        &format!("{}.", token_str("2", &exp, &sig)),
        &format!("{}.x", token_str("2", &exp, &sig)),
        &format!(".{}", token_str("2", &exp, &sig)),
        &format!("~{}", token_str("2", &exp, &sig)),
        &format!("{} ", token_str("2", &exp, &sig)),
        &format!(" {}", token_str("2", &exp, &sig)),
    ];
    for token in garbage {
        assert_eq!(
            token.parse::<PrefixToken>().err(),
            Some(SignatureError::Malformed),
            "{token:?}"
        );
        let path = format!("{token}/audio/ab/x");
        let res = split_prefix_token(&path).map(|o| o.is_some());
        assert!(
            matches!(res, Err(SignatureError::Malformed) | Ok(false)),
            "{token:?}: {res:?}"
        );
        assert!(verify_path(&path, NOW).is_err(), "{token:?}");
    }
    // Paths with no token are left to the single-key route; a token with nothing after it is
    // malformed; an empty key after it is refused by the verifier.
    for plain in ["", "audio/ab/x", "/~2.1.x/audio", "a~/b", "%7E2.1.x/a"] {
        assert!(matches!(split_prefix_token(plain), Ok(None)), "{plain:?}");
    }
    let good = token_str("2", &exp, &sig);
    assert_eq!(
        split_prefix_token(&good).err(),
        Some(SignatureError::Malformed)
    );
    assert_eq!(
        verify_path(&format!("{good}/"), NOW),
        Err(SignatureError::Malformed)
    );
}

#[test]
fn token_debug_leaves_the_signature_out() {
    let token = token_for(PREFIX);
    let debug = format!("{token:?}");
    assert!(
        debug.contains("depth: 2") && debug.contains(&EXP.to_string()),
        "{debug}"
    );
    assert!(!debug.contains(&sig_of(&token)), "{debug}");
}

#[test]
fn prefix_and_single_key_signatures_are_not_interchangeable() {
    let s = signer();
    // A prefix grant's signature is no single-key signature for the prefix, GET or PUT.
    let prefix_sig = sig_of(&token_for(PREFIX));
    for (op, max) in [(SignedOp::Get, None), (SignedOp::Put, Some(1000))] {
        let q = SignedQuery {
            exp: EXP,
            max,
            sig: prefix_sig.clone(),
        };
        assert_eq!(
            s.verify(op, PREFIX, &q, NOW),
            Err(SignatureError::BadSignature),
            "{op:?}"
        );
    }
    // A single-key signature for `audio/ab` (GET or PUT) or for a key below it is no prefix
    // grant.
    let exp = EXP.to_string();
    for (signed_key, op, max) in [
        (PREFIX, SignedOp::Get, None),
        (PREFIX, SignedOp::Put, Some(1000)),
        ("audio/ab/x", SignedOp::Get, None),
    ] {
        let q = SignedQuery::parse(&s.sign(op, signed_key, EXP, max)).unwrap();
        let path = format!("{}/audio/ab/x", token_str("2", &exp, &q.sig));
        assert_eq!(
            verify_path(&path, NOW),
            Err(SignatureError::BadSignature),
            "{signed_key} {op:?}"
        );
    }
}

/// The canonical string is the documented one, MACed with the derived key (and never with the
/// secret itself).
#[test]
fn prefix_canonical_string_is_the_documented_one() {
    use base64::Engine as _;
    use hmac::Mac;
    type HmacSha256 = hmac::Hmac<sha2::Sha256>;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let canonical = format!("v1\nGET-PREFIX\n{PREFIX}\n{EXP}\n-");

    let mut derive = HmacSha256::new_from_slice(SECRET).unwrap();
    derive.update(b"backbeat/url-signing/v1");
    let derived = derive.finalize().into_bytes();
    let mut mac = HmacSha256::new_from_slice(&derived).unwrap();
    mac.update(canonical.as_bytes());
    assert_eq!(
        sig_of(&token_for(PREFIX)),
        b64(&mac.finalize().into_bytes())
    );

    let mut raw = HmacSha256::new_from_slice(SECRET).unwrap();
    raw.update(canonical.as_bytes());
    let forged = token_str("2", &EXP.to_string(), &b64(&raw.finalize().into_bytes()));
    assert_eq!(
        verify_path(&format!("{forged}/{PREFIX}/x"), NOW),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn sign_prefix_validates_its_input() {
    let s = signer();
    let too_long = "a".repeat(MAX_KEY_LEN - 1);
    for bad in [
        "",
        "/",
        "audio/",
        "/audio",
        "/audio/ab/",
        "audio//ab",
        ".",
        "..",
        "audio/../ab",
        "audio/./ab",
        "audio/ab/..",
        "Audio/ab",
        "audio ab",
        "audio\nab",
        "audio\\ab",
        "audio/%2e%2e",
        "~2.1.x",
        "audio/ab?x",
        "café",
        too_long.as_str(),
    ] {
        assert_eq!(
            s.sign_prefix(bad, EXP),
            Err(SignatureError::Malformed),
            "{bad:?}"
        );
    }
    assert_eq!(s.sign_prefix(PREFIX, -1), Err(SignatureError::Malformed));
    assert_eq!(
        s.sign_prefix(PREFIX, i64::MIN),
        Err(SignatureError::Malformed)
    );

    // The limits themselves: the longest prefix, the deepest one, the latest expiry.
    let longest = "a".repeat(MAX_KEY_LEN - 2);
    let deepest = vec!["a"; 127].join("/");
    for (prefix, exp) in [
        (longest.as_str(), EXP),
        (deepest.as_str(), EXP),
        (PREFIX, i64::MAX),
        (PREFIX, 0),
    ] {
        let path = format!("{}/b", s.sign_prefix(prefix, exp).unwrap());
        let (token, key) = split(&path);
        assert_eq!(key.len(), prefix.len() + 2);
        assert!(valid_key(key));
        let expected = if exp > NOW {
            Ok(())
        } else {
            Err(SignatureError::Expired)
        };
        assert_eq!(s.verify_prefix(&token, key, NOW), expected, "{prefix}");
    }
}

fn prefix_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec("[a-z0-9_-][a-z0-9._-]{0,12}", 1..4).prop_map(|segs| segs.join("/"))
}

proptest! {
    /// Whatever the path, parsing and verifying never panic and never accept a forgery; a
    /// token that parses prints back exactly as it was written.
    #[test]
    fn random_paths_never_panic_or_verify(
        path in prop_oneof![
            any::<String>(),
            "~[0-9a-zA-Z._~+=/%-]{0,90}",
            "~[0-9]{0,4}\\.[0-9]{0,21}\\.[A-Za-z0-9_-]{40,45}(/[a-z0-9.%~]{0,6}){0,6}",
        ],
        now in any::<i64>(),
    ) {
        if let Ok(token) = path.split('/').next().unwrap_or("").parse::<PrefixToken>() {
            prop_assert_eq!(token.to_string(), path.split('/').next().unwrap());
        }
        if let Ok(Some((token, key))) = split_prefix_token(&path) {
            prop_assert!(signer().verify_prefix(&token, key, now).is_err());
        }
    }

    #[test]
    fn random_prefixes_round_trip_and_do_not_cross(
        prefix in prefix_strategy(),
        other in prefix_strategy(),
        rest in key_strategy(),
        exp in NOW + 1..NOW + 1_000_000,
    ) {
        prop_assume!(valid_key(&prefix) && valid_key(&rest));
        let path = format!("{}/{rest}", signer().sign_prefix(&prefix, exp).unwrap());
        let (token, key) = split(&path);
        prop_assert_eq!(key, format!("{prefix}/{rest}"));
        prop_assert_eq!(signer().verify_prefix(&token, key, NOW), Ok(()));
        // Moved anywhere that is not below the prefix, it no longer verifies.
        let moved = format!("{other}/{rest}");
        if !moved.starts_with(&format!("{prefix}/")) && valid_key(&moved) {
            prop_assert!(signer().verify_prefix(&token, &moved, NOW).is_err(), "{}", moved);
        }
    }
}
