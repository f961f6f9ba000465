//! A cheap completeness check of a shared library before `dlopen` sees it.
//!
//! `dlopen` maps a library's segments as the file's headers declare them; when the file is
//! shorter than that (an interrupted copy or download), the process dies of SIGBUS as soon as
//! the loader touches a page past the end, which no error handling can catch. Checking that
//! the ELF headers, every loadable segment and the section header table lie inside the file
//! turns that crash into an error message. A library damaged in place at full length is beyond
//! this check.

use std::io::Read;
use std::path::Path;

const PT_LOAD: u32 = 1;

/// `Ok` when `path` is a 64-bit little-endian ELF file whose declared contents all fit in it.
pub(crate) fn check_complete(path: &Path) -> Result<(), String> {
    let mut file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let len = file
        .metadata()
        .map_err(|e| format!("cannot stat {}: {e}", path.display()))?
        .len();
    let mut head = Vec::new();
    // Program headers follow the ELF header closely in every real library; 64 KiB is plenty.
    file.by_ref()
        .take(64 * 1024)
        .read_to_end(&mut head)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    check_headers(&head, len)
        .map_err(|why| format!("{} is not a usable library: {why}", path.display()))
}

fn u16_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    )))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// The check on the file's first bytes `head` and its length `len`.
pub(crate) fn check_headers(head: &[u8], len: u64) -> Result<(), String> {
    if head.len() < 64 || &head[..4] != b"\x7fELF" {
        return Err("not an ELF file".into());
    }
    if head[4] != 2 || head[5] != 1 {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let short = || "its ELF header is cut short".to_string();
    let phoff = u64_at(head, 0x20).ok_or_else(short)?;
    let shoff = u64_at(head, 0x28).ok_or_else(short)?;
    let phentsize = u16_at(head, 0x36).ok_or_else(short)?;
    let phnum = u16_at(head, 0x38).ok_or_else(short)?;
    let shentsize = u16_at(head, 0x3A).ok_or_else(short)?;
    let shnum = u16_at(head, 0x3C).ok_or_else(short)?;
    let truncated = |what: &str, end: u64| {
        format!("the file is truncated: {len} bytes, but its {what} ends at byte {end}")
    };
    let ph_end = phoff.saturating_add(phentsize.saturating_mul(phnum));
    if ph_end > len {
        return Err(truncated("program header table", ph_end));
    }
    let sh_end = shoff.saturating_add(shentsize.saturating_mul(shnum));
    if sh_end > len {
        return Err(truncated("section header table", sh_end));
    }
    if phentsize < 56 {
        return Err(format!("program headers of {phentsize} bytes, expected 56"));
    }
    for i in 0..phnum {
        let at = phoff
            .checked_add(i * phentsize)
            .and_then(|at| usize::try_from(at).ok())
            .ok_or_else(short)?;
        let Some(kind) = u32_at(head, at) else {
            return Err("its program headers lie past the first 64 KiB".into());
        };
        if kind != PT_LOAD {
            continue;
        }
        let offset = u64_at(head, at.saturating_add(8)).ok_or_else(short)?;
        let filesz = u64_at(head, at.saturating_add(32)).ok_or_else(short)?;
        let end = offset.saturating_add(filesz);
        if end > len {
            return Err(truncated(&format!("loadable segment {i}"), end));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 header with one PT_LOAD segment of `filesz` bytes at 0 and section
    /// headers at `shoff`.
    fn elf(filesz: u64, shoff: u64) -> Vec<u8> {
        let mut b = vec![0u8; 64 + 56];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        b[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        b[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        b[0x38..0x3A].copy_from_slice(&1u16.to_le_bytes());
        b[0x3A..0x3C].copy_from_slice(&64u16.to_le_bytes());
        b[0x3C..0x3E].copy_from_slice(&2u16.to_le_bytes());
        b[64..68].copy_from_slice(&PT_LOAD.to_le_bytes());
        b[64 + 32..64 + 40].copy_from_slice(&filesz.to_le_bytes());
        b
    }

    #[test]
    fn a_whole_file_passes_and_a_cut_one_names_what_is_missing() {
        assert_eq!(check_headers(&elf(1000, 2000), 2128), Ok(()));
        let cut = check_headers(&elf(1000, 2000), 1500).unwrap_err();
        assert!(
            cut.contains("truncated") && cut.contains("section header"),
            "{cut}"
        );
        let cut = check_headers(&elf(5000, 100), 4000).unwrap_err();
        assert!(
            cut.contains("loadable segment 0 ends at byte 5000"),
            "{cut}"
        );
    }

    #[test]
    fn anything_else_is_refused_without_panicking() {
        assert!(check_headers(b"", 0).is_err());
        assert!(check_headers(b"garbage", 7)
            .unwrap_err()
            .contains("not an ELF"));
        let mut e = elf(10, 10);
        e[4] = 1;
        assert!(check_headers(&e, 1 << 20).unwrap_err().contains("64-bit"));
        // Headers claiming absurd sizes.
        let mut e = elf(u64::MAX, u64::MAX);
        assert!(check_headers(&e, 1 << 20).is_err());
        e[0x20..0x28].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(check_headers(&e, u64::MAX).is_err());
        for cut in 0..e.len() {
            let _ = check_headers(&e[..cut], cut as u64);
        }
    }
}
