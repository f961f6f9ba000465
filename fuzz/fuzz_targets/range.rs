//! HTTP `Range` resolution: the first 8 bytes are the blob size, the rest the header value.
//! A `206` range is never empty and never leaves the blob, and is only ever granted for a
//! header that RFC 9110's grammar accepts (digits are `DIGIT`, nothing else).
#![no_main]

use backbeat_server::range::{resolve, Ranged};
use libfuzzer_sys::fuzz_target;

/// The RFC 9110 reading of one `bytes=` range, with the server's tolerance for surrounding
/// whitespace: `None` if the header is not a single syntactically valid byte range.
fn strict(header: &str) -> Option<(Option<u64>, Option<u64>)> {
    let spec = header.trim().strip_prefix("bytes=")?.trim();
    let (first, last) = spec.split_once('-')?;
    let number = |s: &str| -> Option<Option<u64>> {
        let s = s.trim();
        if s.is_empty() {
            Some(None)
        } else if s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok().map(Some)
        } else {
            None
        }
    };
    Some((number(first)?, number(last)?))
}

fuzz_target!(|data: &[u8]| {
    let Some((size, header)) = data.split_first_chunk::<8>() else {
        return;
    };
    let size = u64::from_le_bytes(*size) >> (size[0] % 64);
    let Ok(header) = std::str::from_utf8(header) else {
        return;
    };
    match resolve(Some(header), size) {
        Ranged::Partial(r) => {
            assert!(
                r.start < r.end && r.end <= size,
                "{header:?} on {size}: {r:?}"
            );
            assert!(
                strict(header).is_some(),
                "{header:?} granted {r:?} but is not a valid byte range"
            );
        }
        Ranged::Unsatisfiable => assert!(
            strict(header).is_some(),
            "{header:?} answered 416 but is not a valid byte range"
        ),
        Ranged::Full => {}
    }
});
