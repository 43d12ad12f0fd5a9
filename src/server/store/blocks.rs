//! The blocks image data moves in: fixed-size buffers that start on an `ALIGN` boundary (what
//! direct I/O needs), handed out by a `BlockPool` and returned to it when the last `Bytes` that
//! shares them is dropped. Reusing a few buffers keeps a server's memory flat however many
//! uploads and downloads it has served: fresh 1 MiB allocations made and freed on different
//! threads grew a glibc arena per thread instead.

use bytes::Bytes;
use std::sync::{Arc, Mutex};

/// Alignment of the blocks written with direct I/O: their address, length and file offset must
/// be multiples of the device's logical block size, and 4 KiB covers every common device.
pub const ALIGN: usize = 4096;

/// Buffers of one size, kept for reuse (at most `keep` of them).
#[derive(Debug)]
pub struct BlockPool {
    size: usize,
    keep: usize,
    free: Mutex<Vec<Vec<u8>>>,
}

impl BlockPool {
    /// A pool of blocks of `size` bytes (a multiple of `ALIGN`) that keeps up to `keep` free ones.
    pub fn new(size: usize, keep: usize) -> Arc<BlockPool> {
        assert!(
            size > 0 && size.is_multiple_of(ALIGN),
            "block size is a multiple of ALIGN"
        );
        Arc::new(BlockPool {
            size,
            keep,
            free: Mutex::new(Vec::new()),
        })
    }

    /// The size of every block.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Free blocks waiting for reuse.
    pub fn idle(&self) -> usize {
        self.free.lock().expect("pool lock").len()
    }

    /// A block: a reused one if any is free, else a new one (zeroed once, when it is made).
    pub fn take(self: &Arc<Self>) -> Block {
        let reused = self.free.lock().expect("pool lock").pop();
        let buf = reused.unwrap_or_else(|| vec![0u8; self.size + ALIGN]);
        // The padding before the aligned start (an unaligned start would only cost speed: the
        // writer then falls back to buffered writes).
        let start = buf.as_ptr().align_offset(ALIGN).min(ALIGN);
        Block {
            buf,
            start,
            pool: self.clone(),
        }
    }
}

/// One buffer of a pool; goes back to it when dropped.
#[derive(Debug)]
pub struct Block {
    buf: Vec<u8>,
    start: usize,
    pool: Arc<BlockPool>,
}

impl Block {
    /// The block's bytes, `size` of them, starting on an `ALIGN` boundary.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let end = self.start + self.pool.size;
        &mut self.buf[self.start..end]
    }

    /// Its first `len` bytes, shared without copying; the buffer returns to the pool once every
    /// clone is dropped. The caller must have written those bytes: a reused buffer still holds
    /// what its last user put there (another image's data), so only what was filled is shared.
    pub fn freeze(self, len: usize) -> Bytes {
        Bytes::from_owner(self).slice(..len)
    }
}

impl AsRef<[u8]> for Block {
    fn as_ref(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.pool.size]
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        let mut free = self.pool.free.lock().expect("pool lock");
        if free.len() < self.pool.keep {
            free.push(buf);
        }
    }
}

/// Collects a stream of chunks into full blocks of its pool, each one allocation shared (not
/// copied) by the writer and the digests.
#[derive(Debug)]
pub struct BlockBuilder {
    pool: Arc<BlockPool>,
    current: Option<Block>,
    filled: usize,
}

impl BlockBuilder {
    /// Builds blocks from `pool`.
    pub fn new(pool: Arc<BlockPool>) -> BlockBuilder {
        BlockBuilder {
            pool,
            current: None,
            filled: 0,
        }
    }

    /// Takes from the front of `data` what fits in the current block; returns the block once it
    /// is full. Call it until `data` is empty.
    pub fn fill(&mut self, data: &mut &[u8]) -> Option<Bytes> {
        let block = self.current.get_or_insert_with(|| self.pool.take());
        let space = &mut block.bytes_mut()[self.filled..];
        let take = data.len().min(space.len());
        space[..take].copy_from_slice(&data[..take]);
        self.filled += take;
        *data = &data[take..];
        (self.filled == self.pool.size).then(|| self.take())
    }

    fn take(&mut self) -> Bytes {
        let len = std::mem::take(&mut self.filled);
        self.current.take().expect("a block is open").freeze(len)
    }

    /// The last, partly filled block, if any.
    pub fn finish(mut self) -> Option<Bytes> {
        (self.filled > 0).then(|| self.take())
    }
}

/// Whether direct I/O can write `block` as it is: aligned address and length.
pub fn is_aligned(block: &[u8]) -> bool {
    (block.as_ptr() as usize).is_multiple_of(ALIGN) && block.len().is_multiple_of(ALIGN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_full_aligned_and_keep_every_byte() {
        let data: Vec<u8> = (0..3 * 8192 + 100).map(|i| (i % 251) as u8).collect();
        let mut b = BlockBuilder::new(BlockPool::new(8192, 4));
        let mut blocks = vec![];
        // Chunks of an awkward size that straddle block boundaries.
        for chunk in data.chunks(3001) {
            let mut rest = chunk;
            while !rest.is_empty() {
                blocks.extend(b.fill(&mut rest));
            }
        }
        blocks.extend(b.finish());
        let lens: Vec<usize> = blocks.iter().map(|b| b.len()).collect();
        assert_eq!(lens, [8192, 8192, 8192, 100]);
        assert!(
            blocks[..3].iter().all(|b| is_aligned(b)),
            "full blocks aligned"
        );
        assert!(!is_aligned(&blocks[3]), "the short tail is not");
        assert_eq!(blocks.concat(), data);
        assert!(BlockBuilder::new(BlockPool::new(8192, 4))
            .finish()
            .is_none());
        // Data that ends on a block boundary leaves no tail.
        let mut b = BlockBuilder::new(BlockPool::new(8192, 4));
        let mut exact = &data[..8192];
        assert!(b.fill(&mut exact).is_some());
        assert!(b.finish().is_none());
    }

    #[test]
    fn buffers_come_back_when_the_last_clone_goes_and_are_reused() {
        let pool = BlockPool::new(ALIGN, 2);
        let mut block = pool.take();
        block.bytes_mut()[..3].copy_from_slice(b"abc");
        let address = block.as_ref().as_ptr();
        let bytes = block.freeze(3);
        let clone = bytes.clone();
        drop(bytes);
        assert_eq!(pool.idle(), 0, "still shared by a clone");
        assert_eq!(&clone[..], b"abc");
        drop(clone);
        assert_eq!(pool.idle(), 1, "back in the pool");
        assert_eq!(
            pool.take().as_ref().as_ptr(),
            address,
            "the same buffer again"
        );

        // No more than `keep` wait; the rest are freed.
        let blocks: Vec<Block> = (0..5).map(|_| pool.take()).collect();
        drop(blocks);
        assert_eq!(pool.idle(), 2);
    }
}
