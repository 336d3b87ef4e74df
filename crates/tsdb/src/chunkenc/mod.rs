//! Chunk encodings. Only Prometheus's XOR float encoding is written; the encoding byte that
//! precedes a chunk on disk says which one a reader meets.

pub mod bstream;
pub mod xor;

pub use xor::{ChunkError, SAMPLES_PER_CHUNK, XorChunk, XorIterator};

/// Encoding byte of an XOR chunk in segment files and in the head chunks format.
pub const ENCODING_XOR: u8 = 1;
