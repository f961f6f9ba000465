//! Signed-URL parsing: the query of a single-key URL (`SignedQuery::parse`) and the path of a
//! prefix grant (`split_prefix_token`), then verification against a fixed signer.
//!
//! Besides never panicking: a parsed prefix token prints back exactly as it was written, and
//! a parsed query's numbers are spelled the way the signer writes them — each signed URL has
//! one spelling, so no second URL for the same grant (cache keys, logs, revocation lists).
#![no_main]

use backbeat_store::signing::{split_prefix_token, SignedOp, SignedQuery, UrlSigner};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let signer = UrlSigner::new(&[7u8; 32]);
    // `path?query`, as a request line would carry them.
    let (path, query) = text.split_once('?').unwrap_or((text, ""));

    if let Ok(q) = SignedQuery::parse(query) {
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "exp" => assert_eq!(value, q.exp.to_string(), "{query:?}"),
                "max" => assert_eq!(Some(value), q.max.map(|m| m.to_string()).as_deref()),
                _ => {}
            }
        }
        let _ = signer.verify(SignedOp::Get, path, &q, NOW);
        let _ = signer.verify(SignedOp::Put, path, &q, NOW);
    }

    match split_prefix_token(path) {
        Ok(Some((token, key))) => {
            let segment = &path[..path.len() - key.len() - 1];
            assert_eq!(token.to_string(), segment, "a second spelling of a token");
            let _ = signer.verify_prefix(&token, key, NOW);
        }
        Ok(None) => assert!(!path.starts_with('~')),
        Err(_) => {}
    }

    // Whatever prefix the input names, a grant for it verifies below it and nowhere else.
    if let Ok(url) = signer.sign_prefix(path, NOW + 60) {
        let below = format!("{url}/x");
        let Ok(Some((token, key))) = split_prefix_token(&below) else {
            panic!("a signed grant does not parse: {below:?}");
        };
        assert_eq!(key, format!("{path}/x"));
        assert!(signer.verify_prefix(&token, key, NOW).is_ok());
        assert!(
            signer.verify_prefix(&token, path, NOW).is_err(),
            "the prefix itself"
        );
        assert!(
            signer.verify_prefix(&token, key, NOW + 60).is_err(),
            "expired"
        );
    }
});
