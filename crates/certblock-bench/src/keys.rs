//! Key sets for the lookup benchmarks: SPKI SHA-256 values, which are uniform 32-byte strings.

use crate::Rng;

/// `n` distinct random keys (SHA-256 outputs are uniform, so random bytes are faithful).
pub fn random_keys(n: usize, seed: u64) -> Vec<[u8; 32]> {
    let mut rng = Rng::new(seed);
    let mut keys: Vec<[u8; 32]> = (0..n)
        .map(|_| {
            let mut k = [0u8; 32];
            rng.fill(&mut k);
            k
        })
        .collect();
    // Collisions of 256-bit random values do not happen; dedup anyway so `n` is exact.
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), n, "random keys collided");
    // Back to an unsorted order, so that the order of queries says nothing about the layout.
    let mut rng = Rng::new(seed ^ 0x5555);
    for i in (1..keys.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        keys.swap(i, j);
    }
    keys
}

/// `count` queries: members of `keys` (hits) or fresh random keys (misses), in random order.
pub fn queries(keys: &[[u8; 32]], count: usize, hits: bool, seed: u64) -> Vec<[u8; 32]> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            if hits {
                keys[(rng.next_u64() % keys.len() as u64) as usize]
            } else {
                let mut k = [0u8; 32];
                rng.fill(&mut k);
                k
            }
        })
        .collect()
}
