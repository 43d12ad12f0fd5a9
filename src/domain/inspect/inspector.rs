//! The incremental inspector: which regions of an image it wants, what it keeps of them, and
//! the verdict it reaches once it has seen enough.

use super::*;

/// Bytes kept from the start: covers every fixed header (the ISO volume descriptor sits at
/// 32 KiB) and a VMDK descriptor file.
pub const HEAD_LEN: u64 = 64 * 1024;
/// Bytes kept from the end: a stream-optimized VMDK's footer marker, footer and end marker.
pub const TAIL_LEN: usize = 3 * 512;
/// The largest embedded VMDK descriptor read.
pub(super) const MAX_DESCRIPTOR: u64 = 1024 * 1024;
pub(super) const VHDX_REGION_TABLE: u64 = 0x30000;
pub(super) const VHDX_TABLE_LEN: u64 = 64 * 1024;
pub(super) const ISO_DESCRIPTOR: usize = 32 * 1024;
pub(super) const GD_AT_END: u64 = u64::MAX;

/// Which region of the image a capture holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    Head,
    VhdxRegionTable,
    VhdxMetadata,
    VhdxVirtualSize,
    VmdkDescriptor,
}

/// A byte range of the image being captured, filled from its start.
#[derive(Debug, Clone)]
pub(super) struct Region {
    part: Part,
    start: u64,
    len: u64,
    data: Vec<u8>,
}

impl Region {
    fn new(part: Part, start: u64, len: u64) -> Region {
        Region {
            part,
            start,
            len,
            data: Vec::new(),
        }
    }

    fn next(&self) -> u64 {
        self.start + self.data.len() as u64
    }

    fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }

    fn complete(&self) -> bool {
        self.data.len() as u64 == self.len
    }

    /// Takes the part of `bytes` (which start at `offset`) that continues this region.
    fn take(&mut self, offset: u64, bytes: &[u8]) {
        let next = self.next();
        let end = offset + bytes.len() as u64;
        if self.complete() || offset > next || end <= next {
            return;
        }
        let from = (next - offset) as usize;
        let upto = (self.end().min(end) - offset) as usize;
        self.data.extend_from_slice(&bytes[from..upto]);
    }
}

/// An incremental inspector. Feed it bytes with [`provide`](Inspector::provide), then call
/// [`finish`](Inspector::finish) with the data's total length.
#[derive(Debug, Clone)]
pub struct Inspector {
    regions: Vec<Region>,
    tail: Vec<u8>,
    tail_end: u64,
}

impl Default for Inspector {
    fn default() -> Self {
        Inspector::new()
    }
}

impl Inspector {
    /// A fresh inspector, waiting for the first bytes.
    pub fn new() -> Inspector {
        Inspector {
            regions: vec![
                Region::new(Part::Head, 0, HEAD_LEN),
                Region::new(Part::VhdxRegionTable, VHDX_REGION_TABLE, VHDX_TABLE_LEN),
            ],
            tail: Vec::new(),
            tail_end: 0,
        }
    }

    /// Hands the inspector `bytes`, found at `offset` in the image. A stream passes its chunks in
    /// order; a reader with random access passes the ranges [`wanted`](Inspector::wanted) names.
    pub fn provide(&mut self, offset: u64, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let end = offset.saturating_add(bytes.len() as u64);
        let mut known = 0;
        // A header in these bytes may point at a region further on in the same bytes.
        while known < self.regions.len() {
            known = self.regions.len();
            let mut grew = false;
            for r in &mut self.regions {
                let before = r.data.len();
                r.take(offset, bytes);
                grew |= r.data.len() != before;
            }
            if grew {
                self.discover();
            }
        }
        self.keep_tail(offset, end, bytes);
    }

    /// The byte ranges (start, end) the inspector still needs, up to `len` (the data's length):
    /// what a reader with random access should read next. Empty once nothing more can help,
    /// apart from the last [`TAIL_LEN`] bytes, which a reader should always provide.
    pub fn wanted(&self, len: u64) -> Vec<(u64, u64)> {
        self.regions
            .iter()
            .filter(|r| !r.complete() && r.next() < len)
            .map(|r| (r.next(), r.end().min(len)))
            .collect()
    }

    /// Keeps the last [`TAIL_LEN`] bytes seen at the far end of the data.
    fn keep_tail(&mut self, offset: u64, end: u64, bytes: &[u8]) {
        if end <= self.tail_end {
            self.extend_tail_back(offset, end, bytes);
            return;
        }
        if offset > self.tail_end || bytes.len() >= TAIL_LEN {
            // A gap before these bytes, or enough of them: they alone make the tail.
            self.tail.clear();
            self.tail
                .extend_from_slice(&bytes[bytes.len().saturating_sub(TAIL_LEN)..]);
        } else {
            let fresh = &bytes[(self.tail_end - offset) as usize..];
            self.tail.extend_from_slice(fresh);
            let excess = self.tail.len().saturating_sub(TAIL_LEN);
            self.tail.drain(..excess);
        }
        self.tail_end = end;
    }

    /// Bytes that end at or before the tail's end may still reach back before its start, when
    /// an earlier read ended exactly at the end of the data (a reader's last region).
    fn extend_tail_back(&mut self, offset: u64, end: u64, bytes: &[u8]) {
        let start = self.tail_end - self.tail.len() as u64;
        if self.tail.len() >= TAIL_LEN || offset >= start || end < start {
            return;
        }
        let from = offset.max(start - (TAIL_LEN - self.tail.len()) as u64);
        let mut tail = bytes[(from - offset) as usize..(start - offset) as usize].to_vec();
        tail.append(&mut self.tail);
        self.tail = tail;
    }

    fn region(&self, part: Part) -> Option<&Region> {
        self.regions.iter().find(|r| r.part == part)
    }

    fn bytes(&self, part: Part) -> &[u8] {
        self.region(part).map_or(&[], |r| &r.data)
    }

    /// Adds a region and fills what it can from bytes already captured.
    fn capture(&mut self, part: Part, start: u64, len: u64) {
        if self.region(part).is_some() || len == 0 {
            return;
        }
        let mut r = Region::new(part, start, len);
        for known in &self.regions {
            r.take(known.start, &known.data);
        }
        self.regions.push(r);
    }

    /// Follows pointers in complete headers to the regions they name.
    fn discover(&mut self) {
        let head = self.bytes(Part::Head);
        let descriptor = match (head.starts_with(b"KDMV"), le64(head, 28), le64(head, 36)) {
            (true, Some(off), Some(size)) if off > 0 && size > 0 => {
                let len = size.saturating_mul(512);
                (len <= MAX_DESCRIPTOR).then(|| (off.saturating_mul(512), len))
            }
            _ => None,
        };
        let vhdx = head.starts_with(b"vhdxfile");
        if let Some((start, len)) = descriptor {
            self.capture(Part::VmdkDescriptor, start, len);
        }
        if !vhdx {
            return;
        }
        let complete = |part| self.region(part).filter(|r| r.complete());
        let meta = complete(Part::VhdxRegionTable).and_then(|t| vhdx_metadata_region(&t.data).ok());
        if let Some((off, len)) = meta {
            self.capture(Part::VhdxMetadata, off, len.min(VHDX_TABLE_LEN));
        }
        let complete = |part| self.region(part).filter(|r| r.complete());
        let item = complete(Part::VhdxMetadata)
            .and_then(|m| Some(m.start.saturating_add(vhdx_size_item(&m.data).ok()?)));
        if let Some(start) = item {
            self.capture(Part::VhdxVirtualSize, start, 8);
        }
    }

    /// What the data is, given its total length `len`.
    pub fn finish(&self, len: u64) -> Inspection {
        let head = self.bytes(Part::Head);
        let mut found: Vec<Format> = [
            (Format::Qcow2, head.starts_with(b"QFI\xfb")),
            (Format::Qed, head.starts_with(b"QED\0")),
            (Format::Luks, head.starts_with(b"LUKS\xba\xbe")),
            (Format::Vhd, head.starts_with(b"conectix")),
            (Format::Vhdx, head.starts_with(b"vhdxfile")),
            (
                Format::Vmdk,
                head.starts_with(b"KDMV") || head.starts_with(b"# Disk DescriptorFile"),
            ),
            (Format::Vdi, le32(head, 0x40) == Some(0xBEDA_107F)),
            (Format::Iso, is_iso(head)),
            (Format::Gpt, has_mbr(head)),
        ]
        .into_iter()
        .filter_map(|(f, hit)| hit.then_some(f))
        .collect();
        if found == [Format::Iso, Format::Gpt] {
            // A hybrid ISO carries an MBR so that it also boots from a USB stick.
            found = vec![Format::Iso];
        }
        let format = match found.as_slice() {
            [] => Format::Raw,
            [one] => *one,
            many => {
                return Inspection {
                    format: many[0],
                    virtual_size: None,
                    problem: Some(Problem::Ambiguous(many.to_vec())),
                }
            }
        };
        let (virtual_size, problem) = match self.examine(format, len) {
            Ok(size) => (size, None),
            Err(p) => (None, Some(p)),
        };
        Inspection {
            format,
            virtual_size,
            problem,
        }
    }

    /// Virtual size and safety checks of the detected format.
    fn examine(&self, format: Format, len: u64) -> Result<Option<u64>, Problem> {
        let head = self.bytes(Part::Head);
        match format {
            Format::Raw => Ok(Some(len)),
            Format::Qcow2 => qcow2(head),
            Format::Qed => Err(Problem::Unsafe {
                format,
                check: Check::Qed,
                finding: Finding::QedRefused,
            }),
            Format::Luks => luks(head),
            Format::Vhd => be64(head, 40)
                .map(Some)
                .ok_or(Problem::Truncated(format, Section::FooterCopy)),
            Format::Vhdx => self.vhdx(),
            Format::Vmdk => self.vmdk(len),
            Format::Vdi => le64(head, 0x170)
                .map(Some)
                .ok_or(Problem::Truncated(format, Section::Header)),
            Format::Iso => Ok(iso_size(head)),
            Format::Gpt => mbr(head).map(|()| None),
        }
    }

    fn vhdx(&self) -> Result<Option<u64>, Problem> {
        let f = Format::Vhdx;
        let table = self.bytes(Part::VhdxRegionTable);
        if (table.len() as u64) < VHDX_TABLE_LEN {
            return Err(Problem::Truncated(f, Section::RegionTable));
        }
        vhdx_metadata_region(table)?;
        let meta = self.region(Part::VhdxMetadata);
        if !meta.is_some_and(|m| m.complete()) {
            return Err(Problem::Truncated(f, Section::MetadataRegion));
        }
        vhdx_size_item(self.bytes(Part::VhdxMetadata))?;
        le64(self.bytes(Part::VhdxVirtualSize), 0)
            .map(Some)
            .ok_or(Problem::Truncated(f, Section::SizeItem))
    }

    fn vmdk(&self, len: u64) -> Result<Option<u64>, Problem> {
        let f = Format::Vmdk;
        let head = self.bytes(Part::Head);
        if !head.starts_with(b"KDMV") {
            // A descriptor file on its own: its data lives in other files.
            check_descriptor(head)?;
            return Err(unsafe_vmdk(Check::Descriptor, Finding::DescriptorOnly));
        }
        let header = SparseHeader::parse(head).ok_or(Problem::Truncated(f, Section::Header))?;
        if header.descriptor_offset == 0 || header.descriptor_size == 0 {
            return Err(unsafe_vmdk(Check::Descriptor, Finding::NoDescriptor));
        }
        if header.descriptor_size.saturating_mul(512) > MAX_DESCRIPTOR {
            return Err(Problem::Damaged(f, Finding::DescriptorTooLarge));
        }
        let desc = self.region(Part::VmdkDescriptor);
        if !desc.is_some_and(|d| d.complete()) {
            return Err(Problem::Truncated(f, Section::Descriptor));
        }
        check_descriptor(self.bytes(Part::VmdkDescriptor))?;
        if header.gd_offset == GD_AT_END {
            self.vmdk_footer(&header, len)?;
        }
        header
            .capacity
            .checked_mul(512)
            .map(Some)
            .ok_or(Problem::Damaged(f, Finding::CapacityOverflows))
    }

    /// A stream-optimized VMDK whose grain directory is "at the end" must end with a footer
    /// marker, a footer that repeats the header, and an end-of-stream marker.
    fn vmdk_footer(&self, header: &SparseHeader, len: u64) -> Result<(), Problem> {
        if self.tail_end != len || self.tail.len() < TAIL_LEN {
            return Err(Problem::Truncated(Format::Vmdk, Section::Footer));
        }
        let (marker, rest) = self.tail.split_at(512);
        let (footer, eos) = rest.split_at(512);
        if le32(marker, 12) != Some(3) {
            return Err(unsafe_vmdk(Check::Footer, Finding::NoFooterMarker));
        }
        if eos.iter().any(|&b| b != 0) {
            return Err(unsafe_vmdk(Check::Footer, Finding::NoEndMarker));
        }
        let foot = SparseHeader::parse(footer)
            .filter(|_| footer.starts_with(b"KDMV"))
            .ok_or_else(|| unsafe_vmdk(Check::Footer, Finding::FooterNotHeader))?;
        if foot.gd_offset == GD_AT_END || !foot.same_layout(header) {
            return Err(unsafe_vmdk(Check::Footer, Finding::FooterDisagrees));
        }
        Ok(())
    }
}
