//! The binary formats of the exported index: varints, posting lists, term shards and blocks.
//!
//! Every index file is stored gzip-compressed ([`gzip`], [`gunzip`]); the layouts below are
//! of the decompressed bytes. Everything here is read by two clients, this crate's [`crate::query`] and
//! `theme/static/search-core.js`, so the layout is documented byte by byte in
//! `docs/search.md` and kept deliberately small:
//!
//! * a **posting** is `varint key-delta`, `u8 impact` (bit 7: the term is in the title; bits
//!   0–6: the precomputed impact, 0–127), `u32 little-endian facet code`;
//! * a **posting list** is `varint count` followed by its postings in ascending key order;
//! * a **term shard** (`t/<hash>.bin`) is the magic `KFT1`, `varint term count`, then per term:
//!   `varint shared-prefix bytes`, `varint suffix bytes`, the suffix (UTF-8), `varint document
//!   frequency`, and the posting list;
//! * a **block** (`b/<hash>.bin`) is the magic `KFB1` and one posting list: the postings of one
//!   long term whose keys fall in that block;
//! * a **complement** (`c/<hash>.bin`) is the magic `KFC1`, `varint count` and `varint key
//!   delta`s: the datasets that do not have a term found in more than half of them.

/// Compresses `bytes` with gzip at the best level (deterministic: no name, no timestamp).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Largest decompressed index file accepted (a guard against decompression bombs).
pub const MAX_PLAIN_BYTES: u64 = 64 << 20;

/// Decompresses a gzip file; bytes without the gzip magic are returned as they are (a server
/// may already have decoded them). More than [`MAX_PLAIN_BYTES`] is an error.
pub fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_PLAIN_BYTES + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > MAX_PLAIN_BYTES {
        return Err(std::io::Error::other("decompresses to more than 64 MB"));
    }
    Ok(out)
}

/// Magic bytes at the start of a term shard.
pub const SHARD_MAGIC: &[u8; 4] = b"KFT1";
/// Magic bytes at the start of a posting block.
pub const BLOCK_MAGIC: &[u8; 4] = b"KFB1";
/// Magic bytes at the start of a complement (a sorted key list).
pub const KEYS_MAGIC: &[u8; 4] = b"KFC1";

/// Bit of the impact byte saying the term occurs in the title.
pub const IN_TITLE: u8 = 0x80;

/// One entry of a posting list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    /// The dataset's stable key (see [`crate::keys`]).
    pub key: u64,
    /// Impact byte: bit 7 = in title, bits 0–6 = quantised impact.
    pub impact: u8,
    /// The dataset's packed facet values (see [`crate::facets`]).
    pub facets: u32,
}

impl Posting {
    /// The quantised impact, 0–127.
    pub fn quantised(self) -> u8 {
        self.impact & !IN_TITLE
    }

    /// Whether the term occurs in the dataset's title.
    pub fn in_title(self) -> bool {
        self.impact & IN_TITLE != 0
    }
}

/// Why bytes could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes ended in the middle of a value.
    #[error("truncated at byte {0}")]
    Truncated(usize),
    /// The file does not start with the expected magic bytes.
    #[error("not a {0} file")]
    Magic(&'static str),
    /// A varint is longer than 64 bits.
    #[error("bad varint at byte {0}")]
    Varint(usize),
    /// A term is not UTF-8.
    #[error("term at byte {0} is not UTF-8")]
    Utf8(usize),
    /// Keys are not in ascending order.
    #[error("keys out of order at byte {0}")]
    Order(usize),
}

/// Appends `value` as an unsigned LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a posting list.
pub fn put_postings(out: &mut Vec<u8>, postings: &[Posting]) {
    put_varint(out, postings.len() as u64);
    let mut previous = 0;
    for posting in postings {
        put_varint(out, posting.key - previous);
        previous = posting.key;
        out.push(posting.impact);
        out.extend_from_slice(&posting.facets.to_le_bytes());
    }
}

/// A cursor over encoded bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Starts at the beginning of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    /// Whether every byte has been read.
    pub fn is_done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    /// Checks and skips the magic bytes.
    pub fn expect_magic(&mut self, magic: &[u8; 4], what: &'static str) -> Result<(), DecodeError> {
        if self.bytes.get(..4) != Some(magic.as_slice()) {
            return Err(DecodeError::Magic(what));
        }
        self.at = 4;
        Ok(())
    }

    /// Reads one varint.
    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let start = self.at;
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let byte = *self
                .bytes
                .get(self.at)
                .ok_or(DecodeError::Truncated(self.at))?;
            self.at += 1;
            if shift > 63 {
                return Err(DecodeError::Varint(start));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    /// Reads `len` raw bytes.
    pub fn bytes(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .at
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len())
            .ok_or(DecodeError::Truncated(self.bytes.len()))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    /// Reads a posting list.
    pub fn postings(&mut self) -> Result<Vec<Posting>, DecodeError> {
        let count = self.varint()? as usize;
        // Each posting takes at least six bytes: refuse counts the bytes cannot hold.
        if count > (self.bytes.len() - self.at) / 6 {
            return Err(DecodeError::Truncated(self.bytes.len()));
        }
        let mut postings = Vec::with_capacity(count);
        let mut key = 0u64;
        for i in 0..count {
            let at = self.at;
            let delta = self.varint()?;
            if i > 0 && delta == 0 {
                return Err(DecodeError::Order(at));
            }
            key = key.checked_add(delta).ok_or(DecodeError::Order(at))?;
            let fixed = self.bytes(5)?;
            postings.push(Posting {
                key,
                impact: fixed[0],
                facets: u32::from_le_bytes([fixed[1], fixed[2], fixed[3], fixed[4]]),
            });
        }
        Ok(postings)
    }
}

/// One term of a shard, with its postings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardTerm {
    /// The term.
    pub term: String,
    /// Number of datasets containing it.
    pub df: u32,
    /// Its postings, by ascending key.
    pub postings: Vec<Posting>,
}

/// Encodes a term shard; `terms` must be sorted by term bytes.
pub fn encode_shard(terms: &[ShardTerm]) -> Vec<u8> {
    let mut out = SHARD_MAGIC.to_vec();
    put_varint(&mut out, terms.len() as u64);
    let mut previous: &[u8] = &[];
    for term in terms {
        let bytes = term.term.as_bytes();
        let shared = previous
            .iter()
            .zip(bytes)
            .take_while(|(a, b)| a == b)
            .count();
        put_varint(&mut out, shared as u64);
        put_varint(&mut out, (bytes.len() - shared) as u64);
        out.extend_from_slice(&bytes[shared..]);
        put_varint(&mut out, u64::from(term.df));
        put_postings(&mut out, &term.postings);
        previous = bytes;
    }
    out
}

/// Decodes a term shard.
pub fn decode_shard(bytes: &[u8]) -> Result<Vec<ShardTerm>, DecodeError> {
    let mut reader = Reader::new(bytes);
    reader.expect_magic(SHARD_MAGIC, "term shard")?;
    let count = reader.varint()? as usize;
    let mut terms = Vec::with_capacity(count.min(bytes.len()));
    let mut previous: Vec<u8> = Vec::new();
    for _ in 0..count {
        let at = reader.at;
        let shared = reader.varint()? as usize;
        let suffix_len = reader.varint()? as usize;
        let suffix = reader.bytes(suffix_len)?;
        if shared > previous.len() {
            return Err(DecodeError::Truncated(at));
        }
        previous.truncate(shared);
        previous.extend_from_slice(suffix);
        let term = String::from_utf8(previous.clone()).map_err(|_| DecodeError::Utf8(at))?;
        let df = reader.varint()? as u32;
        let postings = reader.postings()?;
        terms.push(ShardTerm { term, df, postings });
    }
    Ok(terms)
}

/// Encodes a posting block.
pub fn encode_block(postings: &[Posting]) -> Vec<u8> {
    let mut out = BLOCK_MAGIC.to_vec();
    put_postings(&mut out, postings);
    out
}

/// Decodes a posting block.
pub fn decode_block(bytes: &[u8]) -> Result<Vec<Posting>, DecodeError> {
    let mut reader = Reader::new(bytes);
    reader.expect_magic(BLOCK_MAGIC, "posting block")?;
    reader.postings()
}

/// Encodes a sorted key list: magic, `varint count`, `varint key delta` each.
pub fn encode_keys(keys: &[u64]) -> Vec<u8> {
    let mut out = KEYS_MAGIC.to_vec();
    put_varint(&mut out, keys.len() as u64);
    let mut previous = 0;
    for &key in keys {
        put_varint(&mut out, key - previous);
        previous = key;
    }
    out
}

/// Decodes a sorted key list.
pub fn decode_keys(bytes: &[u8]) -> Result<Vec<u64>, DecodeError> {
    let mut reader = Reader::new(bytes);
    reader.expect_magic(KEYS_MAGIC, "key list")?;
    let count = reader.varint()? as usize;
    if count > bytes.len() {
        return Err(DecodeError::Truncated(bytes.len()));
    }
    let mut keys = Vec::with_capacity(count);
    let mut key = 0u64;
    for i in 0..count {
        let at = reader.at;
        let delta = reader.varint()?;
        if i > 0 && delta == 0 {
            return Err(DecodeError::Order(at));
        }
        key = key.checked_add(delta).ok_or(DecodeError::Order(at))?;
        keys.push(key);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posting(key: u64, impact: u8, facets: u32) -> Posting {
        Posting {
            key,
            impact,
            facets,
        }
    }

    #[test]
    fn shards_round_trip_with_shared_prefixes() {
        let terms = vec![
            ShardTerm {
                term: "交通".into(),
                df: 2,
                postings: vec![posting(3, 0x85, 7), posting(1 << 39, 12, u32::MAX)],
            },
            ShardTerm {
                term: "交通运输厅".into(),
                df: 1,
                postings: vec![posting(42, 1, 0)],
            },
        ];
        let bytes = encode_shard(&terms);
        assert_eq!(decode_shard(&bytes).unwrap(), terms);
    }

    #[test]
    fn key_lists_round_trip() {
        let keys = vec![1, 2, 1 << 40];
        assert_eq!(decode_keys(&encode_keys(&keys)).unwrap(), keys);
        assert!(decode_keys(&encode_keys(&keys)[..6]).is_err());
    }

    #[test]
    fn blocks_round_trip_and_truncation_is_an_error() {
        let postings = vec![posting(5, 127, 1), posting(600, 3, 2)];
        let bytes = encode_block(&postings);
        assert_eq!(decode_block(&bytes).unwrap(), postings);
        for cut in 0..bytes.len() {
            assert!(decode_block(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(
            decode_block(b"nope"),
            Err(DecodeError::Magic("posting block"))
        );
    }
}
