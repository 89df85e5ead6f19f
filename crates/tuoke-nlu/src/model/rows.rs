//! How a component finds the weight row of a feature bucket: a bucket → row map (the bag, and the
//! sparse linear layout whose bucket ids are stored), or the hashed table of the linear component
//! (a multiplicative hash into `2^bits` slots with an occupancy bitmap, no ids stored).

use rustc_hash::FxHashMap;

/// How the linear component finds the weight row of a feature bucket.
#[derive(Debug, Clone)]
pub(crate) enum LinearRows {
    /// One row per bucket kept from training; the ascending bucket ids are stored in the file
    /// (LEB128 gaps, about a byte per row).
    Sparse {
        row_buckets: Vec<u32>,
        rows: FxHashMap<u32, u32>,
    },
    /// The hashing trick: a bucket's slot is a multiplicative hash into `2^bits` slots (colliding
    /// features share a slot); only slots seen in training have a row, marked in an occupancy bitmap
    /// of `2^bits` bits (the file stores the bitmap, no ids). Row of a slot = its rank in the bitmap.
    Hashed(HashedRows),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HashedRows {
    pub(crate) bits: u8,
    /// `2^bits / 64` words, bit `s % 64` of word `s / 64` set when slot `s` has a row.
    pub(crate) occupied: Vec<u64>,
    /// Number of set bits before each word.
    rank: Vec<u32>,
    len: usize,
}

impl HashedRows {
    /// From the occupancy words; `None` when their number does not match `bits`.
    pub(crate) fn new(bits: u8, occupied: Vec<u64>) -> Option<HashedRows> {
        if !LINEAR_HASH_BITS.contains(&bits) || occupied.len() != (1usize << bits) / 64 {
            return None;
        }
        let mut rank = Vec::with_capacity(occupied.len());
        let mut len = 0usize;
        for w in &occupied {
            rank.push(len as u32);
            len += w.count_ones() as usize;
        }
        Some(HashedRows {
            bits,
            occupied,
            rank,
            len,
        })
    }

    /// From the ascending occupied slots.
    pub(crate) fn from_slots(bits: u8, slots: &[u32]) -> Option<HashedRows> {
        let words = (1usize << bits.min(31)) / 64;
        let mut occupied = vec![0u64; words];
        for &s in slots {
            *occupied.get_mut(s as usize / 64)? |= 1u64 << (s % 64);
        }
        HashedRows::new(bits, occupied)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn row(&self, bucket: u32) -> Option<u32> {
        let s = hashed_row(bucket, self.bits);
        let (i, bit) = (s as usize / 64, s % 64);
        let w = *self.occupied.get(i)?;
        if w >> bit & 1 == 0 {
            return None;
        }
        let below = (w & ((1u64 << bit) - 1)).count_ones();
        Some(self.rank.get(i)? + below)
    }
}

/// Smallest and largest `bits` of [`LinearRows::Hashed`].
pub(crate) const LINEAR_HASH_BITS: std::ops::RangeInclusive<u8> = 8..=24;

/// Slot of `bucket` in a `2^bits`-slot hashed table (Fibonacci hashing: the top bits of
/// `bucket · 2^32/φ`, which spreads the buckets' low and high bits over the table).
#[inline]
pub(crate) fn hashed_row(bucket: u32, bits: u8) -> u32 {
    bucket.wrapping_mul(0x9E37_79B1) >> (32 - u32::from(bits.clamp(1, 31)))
}

impl LinearRows {
    pub(crate) fn len(&self) -> usize {
        match self {
            LinearRows::Sparse { row_buckets, .. } => row_buckets.len(),
            LinearRows::Hashed(h) => h.len,
        }
    }

    #[inline]
    pub(crate) fn row(&self, bucket: u32) -> Option<u32> {
        match self {
            LinearRows::Sparse { rows, .. } => rows.get(&bucket).copied(),
            LinearRows::Hashed(h) => h.row(bucket),
        }
    }
}

pub(crate) fn row_map(row_buckets: &[u32]) -> FxHashMap<u32, u32> {
    let mut rows = FxHashMap::default();
    rows.reserve(row_buckets.len());
    for (i, &b) in row_buckets.iter().enumerate() {
        rows.insert(b, i as u32);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_rows_rank_the_occupied_slots() {
        let h = HashedRows::from_slots(8, &[0, 5, 63, 64, 200, 255]).unwrap();
        assert_eq!(h.len(), 6);
        // find buckets that land on some of the slots and check the ranks
        let mut found = 0;
        for b in 0u32..100_000 {
            let s = hashed_row(b, 8);
            let want = [0, 5, 63, 64, 200, 255].iter().position(|&x| x == s);
            assert_eq!(h.row(b), want.map(|r| r as u32), "bucket {b} slot {s}");
            found += usize::from(want.is_some());
        }
        assert!(found > 0);
        assert!(hashed_row(u32::MAX, 8) < 256 && hashed_row(u32::MAX, 24) < 1 << 24);
        // the bitmap size must match the bits
        assert!(HashedRows::new(8, vec![0; 3]).is_none());
        assert!(HashedRows::new(7, vec![0; 2]).is_none());
        assert!(HashedRows::from_slots(8, &[256]).is_none());
    }
}
