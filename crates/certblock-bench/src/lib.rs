//! Benchmarks of certblock, and the synthetic corpus they run on.
//!
//! [`corpus`] writes realistic `sources/` trees quickly: one real-shaped certificate is made once
//! with rcgen, and every output certificate is that template with its key, serial, names, key
//! identifier and signature bytes patched in place (same lengths, so no re-encoding). Signatures
//! do not verify; ingest never verifies them.
//!
//! [`keys`] makes the random key sets the lookup benchmarks use.

#![forbid(unsafe_code)]

pub mod corpus;
pub mod keys;

/// SplitMix64: a tiny, fast, seedable generator; good enough for synthetic bytes, never for
/// anything secret.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The generator for item `index` of a run seeded with `seed`: independent of the order in
    /// which items are made, so parallel runs give the same bytes.
    pub fn for_item(seed: u64, index: u64) -> Self {
        let mut r = Rng(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Fills `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        let mut chunks = out.chunks_exact_mut(8);
        for chunk in &mut chunks {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        let last = self.next_u64().to_le_bytes();
        let n = rest.len();
        rest.copy_from_slice(&last[..n]);
    }
}
