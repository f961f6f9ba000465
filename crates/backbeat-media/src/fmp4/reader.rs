//! Bounds-checked reading of ISO-BMFF boxes and big-endian fields. Every read checks the
//! slice it reads from; nothing is allocated from a size the file states — boxes are
//! sub-slices of the input.

use super::{BoxType, Fmp4Error};

/// One box: its type, its body (after the header) and where that body starts in the
/// outermost buffer (so that a caller can patch a field in place).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bx<'a> {
    pub kind: BoxType,
    pub body: &'a [u8],
    /// Offset of `body` in the buffer the walk started from.
    pub offset: usize,
}

/// The boxes laid end to end in `buf`: a file's top level or a container's body.
pub(crate) struct Boxes<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
    failed: bool,
}

impl<'a> Boxes<'a> {
    /// The top-level boxes of a file.
    pub fn new(buf: &'a [u8]) -> Self {
        Self::at(buf, 0)
    }

    /// The boxes of `buf`, which starts at `base` in the outermost buffer.
    pub fn at(buf: &'a [u8], base: usize) -> Self {
        Self {
            buf,
            pos: 0,
            base,
            failed: false,
        }
    }

    /// The children of `parent`.
    pub fn children(parent: &Bx<'a>) -> Self {
        Self::at(parent.body, parent.offset)
    }

    fn next_box(&mut self) -> Result<Bx<'a>, Fmp4Error> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let mut r = Reader::new(rest);
        let size32 = r
            .u32()
            .map_err(|_| Fmp4Error::Truncated(BoxType(*b"????")))?;
        let kind = BoxType(
            r.array()
                .map_err(|_| Fmp4Error::Truncated(BoxType(*b"????")))?,
        );
        let size = match size32 {
            // To the end of the enclosing box (or file).
            0 => rest.len() as u64,
            1 => r.u64().map_err(|_| Fmp4Error::Truncated(kind))?,
            s => u64::from(s),
        };
        if kind.0 == *b"uuid" {
            r.skip(16).map_err(|_| Fmp4Error::Truncated(kind))?;
        }
        let header = r.pos;
        if size < header as u64 {
            return Err(Fmp4Error::BadSize { kind, size });
        }
        let size = usize::try_from(size).map_err(|_| Fmp4Error::Truncated(kind))?;
        let body = rest.get(header..size).ok_or(Fmp4Error::Truncated(kind))?;
        let offset = self.base + self.pos + header;
        self.pos += size;
        Ok(Bx { kind, body, offset })
    }

    /// The first box of type `kind`, or `Missing`.
    pub fn find(self, kind: &'static [u8; 4]) -> Result<Bx<'a>, Fmp4Error> {
        for b in self {
            let b = b?;
            if b.kind.0 == *kind {
                return Ok(b);
            }
        }
        Err(Fmp4Error::Missing(BoxType(*kind)))
    }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<Bx<'a>, Fmp4Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let b = self.next_box();
        self.failed = b.is_err();
        Some(b)
    }
}

/// Walks `path` down from the children of `parent`, taking the first box of each type.
pub(crate) fn descend<'a>(parent: &Bx<'a>, path: &[&'static [u8; 4]]) -> Result<Bx<'a>, Fmp4Error> {
    let mut b = *parent;
    for kind in path {
        b = Boxes::children(&b).find(kind)?;
    }
    Ok(b)
}

/// Big-endian fields of one box body, each read checked against its end.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pub pos: usize,
}

/// The body ended before a field: the caller maps it to the box it was reading.
#[derive(Debug)]
pub(crate) struct Short;

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Short> {
        let end = self.pos.checked_add(n).ok_or(Short)?;
        let b = self.buf.get(self.pos..end).ok_or(Short)?;
        self.pos = end;
        Ok(b)
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Short> {
        let mut a = [0; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    pub fn skip(&mut self, n: usize) -> Result<(), Short> {
        self.bytes(n).map(|_| ())
    }

    pub fn u8(&mut self) -> Result<u8, Short> {
        Ok(self.array::<1>()?[0])
    }

    pub fn u16(&mut self) -> Result<u16, Short> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub fn u24(&mut self) -> Result<u32, Short> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    pub fn u32(&mut self) -> Result<u32, Short> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Result<u64, Short> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// What is left of the body.
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }
}

/// Reads MSB-first bit fields (an AudioSpecificConfig).
pub(crate) struct Bits<'a> {
    buf: &'a [u8],
    bit: usize,
}

impl<'a> Bits<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, bit: 0 }
    }

    /// The next `n` (at most 32) bits.
    pub fn read(&mut self, n: u32) -> Result<u32, Short> {
        let mut v = 0u32;
        for _ in 0..n.min(32) {
            let byte = self.buf.get(self.bit / 8).ok_or(Short)?;
            let b = (byte >> (7 - self.bit % 8)) & 1;
            v = (v << 1) | u32::from(b);
            self.bit += 1;
        }
        Ok(v)
    }
}
