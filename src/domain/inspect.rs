//! Disk-format inspection: tells raw, qcow2, vhd, vhdx, vmdk, vdi, iso, gpt, luks and qed apart
//! from an image's bytes, reads the virtual size, runs the safety checks Glance learned from its
//! CVEs, and judges an upload against its declared `disk_format`.
//!
//! Pure and incremental: the server feeds the upload's chunks as they stream past
//! ([`Inspector::provide`] with increasing offsets), and the browser feeds the few regions
//! [`Inspector::wanted`] asks for, read from the chosen file. Only header regions are kept
//! (at most about 1.2 MiB, usually 64 KiB), never the whole image; every read of captured bytes is
//! bounds-checked, so no input can make the inspector panic or look past what it was given.

use std::fmt;

/// A format the inspector can recognise. `Gpt`, `Luks` and `Qed` are not Glance disk formats;
/// they are found inside uploads declared `raw` (and `Qed` is always refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// No other format matched: a plain disk.
    Raw,
    /// QEMU copy-on-write v2 or v3.
    Qcow2,
    /// Virtual PC / Hyper-V VHD (dynamic: the footer copy at the start).
    Vhd,
    /// Hyper-V VHDX.
    Vhdx,
    /// VMware VMDK: a sparse extent with its embedded descriptor, or a descriptor file.
    Vmdk,
    /// VirtualBox VDI.
    Vdi,
    /// ISO 9660 or UDF.
    Iso,
    /// A disk with a (protective) MBR.
    Gpt,
    /// A LUKS encrypted volume.
    Luks,
    /// QEMU enhanced disk (always refused).
    Qed,
}

impl Format {
    /// Glance's name for the format.
    pub fn name(self) -> &'static str {
        match self {
            Format::Raw => "raw",
            Format::Qcow2 => "qcow2",
            Format::Vhd => "vhd",
            Format::Vhdx => "vhdx",
            Format::Vmdk => "vmdk",
            Format::Vdi => "vdi",
            Format::Iso => "iso",
            Format::Gpt => "gpt",
            Format::Luks => "luks",
            Format::Qed => "qed",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why the data cannot be trusted or understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The format's header or a region it points at ends before the data does.
    Truncated(Format, &'static str),
    /// The header is there but does not make sense.
    Damaged(Format, String),
    /// The data matches more than one format.
    Ambiguous(Vec<Format>),
    /// A safety check failed: `check` is Glance's name for it.
    Unsafe {
        /// The detected format.
        format: Format,
        /// The check: backing_file, data_file, unknown_features, descriptor, footer, mbr, ...
        check: &'static str,
        /// What was found, in words.
        reason: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Truncated(format, what) => {
                write!(
                    f,
                    "The {format} image is cut short: its {what} is incomplete."
                )
            }
            Problem::Damaged(format, what) => write!(f, "The {format} image is damaged: {what}."),
            Problem::Ambiguous(formats) => {
                let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
                write!(
                    f,
                    "The data matches several formats ({}).",
                    names.join(", ")
                )
            }
            Problem::Unsafe {
                format,
                check,
                reason,
            } => write!(
                f,
                "The {format} image failed the {check} safety check: {reason}."
            ),
        }
    }
}

/// What the inspector found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The detected format (`Raw` when nothing else matched).
    pub format: Format,
    /// The size the guest sees, where the format defines one (raw: the byte count).
    pub virtual_size: Option<u64>,
    /// A failed safety check or a header that cannot be read; `None` when the data is sound.
    pub problem: Option<Problem>,
}

/// Disk formats that carry no header to inspect (kernel and ramdisk images, ploop): raw data
/// declared as one of them is accepted.
pub const UNINSPECTABLE: [&str; 4] = ["ami", "aki", "ari", "ploop"];

/// What to do with an upload once inspected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Keep the data; store this virtual size. `warning` explains a tolerated mismatch.
    Accept {
        /// `virtual_size` to store.
        virtual_size: Option<u64>,
        /// A mismatch that was allowed (raw declared, richer format found; or mismatches not
        /// fatal by configuration).
        warning: Option<String>,
    },
    /// Refuse the data (Glance answers 415), saying why.
    Refuse(String),
}

/// Judges an inspected upload against its declared `disk_format`, as Glance does: a failed
/// safety check is always fatal; `raw` may hold a richer format (warned, virtual size = bytes);
/// raw data passes for the uninspectable formats; any other mismatch is fatal when
/// `require_match` (Glance's `require_image_format_match`, on by default).
pub fn judge(declared: &str, found: &Inspection, size: u64, require_match: bool) -> Verdict {
    if let Some(p) = &found.problem {
        return Verdict::Refuse(p.to_string());
    }
    let detected = found.format.name();
    if detected == declared {
        return Verdict::Accept {
            virtual_size: found.virtual_size,
            warning: None,
        };
    }
    if declared == "raw" {
        return Verdict::Accept {
            virtual_size: Some(size),
            warning: Some(format!(
                "Declared raw, but the data is a {detected} image; kept as raw."
            )),
        };
    }
    if found.format == Format::Raw && UNINSPECTABLE.contains(&declared) {
        return Verdict::Accept {
            virtual_size: None,
            warning: None,
        };
    }
    let msg = format!("The data is a {detected} image, not the declared {declared}.");
    if require_match {
        Verdict::Refuse(msg)
    } else {
        Verdict::Accept {
            virtual_size: None,
            warning: Some(msg),
        }
    }
}

/// Bytes kept from the start: covers every fixed header (the ISO volume descriptor sits at
/// 32 KiB) and a VMDK descriptor file.
pub const HEAD_LEN: u64 = 64 * 1024;
/// Bytes kept from the end: a stream-optimized VMDK's footer marker, footer and end marker.
pub const TAIL_LEN: usize = 3 * 512;
/// The largest embedded VMDK descriptor read.
const MAX_DESCRIPTOR: u64 = 1024 * 1024;
const VHDX_REGION_TABLE: u64 = 0x30000;
const VHDX_TABLE_LEN: u64 = 64 * 1024;
const ISO_DESCRIPTOR: usize = 32 * 1024;
const GD_AT_END: u64 = u64::MAX;

/// Which region of the image a capture holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Head,
    VhdxRegionTable,
    VhdxMetadata,
    VhdxVirtualSize,
    VmdkDescriptor,
}

/// A byte range of the image being captured, filled from its start.
#[derive(Debug, Clone)]
struct Region {
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
                check: "qed",
                reason: "QED images are not accepted".into(),
            }),
            Format::Luks => luks(head),
            Format::Vhd => be64(head, 40)
                .map(Some)
                .ok_or(Problem::Truncated(format, "footer copy")),
            Format::Vhdx => self.vhdx(),
            Format::Vmdk => self.vmdk(len),
            Format::Vdi => le64(head, 0x170)
                .map(Some)
                .ok_or(Problem::Truncated(format, "header")),
            Format::Iso => Ok(iso_size(head)),
            Format::Gpt => mbr(head).map(|()| None),
        }
    }

    fn vhdx(&self) -> Result<Option<u64>, Problem> {
        let f = Format::Vhdx;
        let table = self.bytes(Part::VhdxRegionTable);
        if (table.len() as u64) < VHDX_TABLE_LEN {
            return Err(Problem::Truncated(f, "region table"));
        }
        vhdx_metadata_region(table)?;
        let meta = self.region(Part::VhdxMetadata);
        if !meta.is_some_and(|m| m.complete()) {
            return Err(Problem::Truncated(f, "metadata region"));
        }
        vhdx_size_item(self.bytes(Part::VhdxMetadata))?;
        le64(self.bytes(Part::VhdxVirtualSize), 0)
            .map(Some)
            .ok_or(Problem::Truncated(f, "virtual disk size item"))
    }

    fn vmdk(&self, len: u64) -> Result<Option<u64>, Problem> {
        let f = Format::Vmdk;
        let head = self.bytes(Part::Head);
        if !head.starts_with(b"KDMV") {
            // A descriptor file on its own: its data lives in other files.
            check_descriptor(head)?;
            return Err(unsafe_vmdk(
                "descriptor",
                "a descriptor file without its data refers to other files".into(),
            ));
        }
        let header = SparseHeader::parse(head).ok_or(Problem::Truncated(f, "header"))?;
        if header.descriptor_offset == 0 || header.descriptor_size == 0 {
            return Err(unsafe_vmdk("descriptor", "it has no descriptor".into()));
        }
        if header.descriptor_size.saturating_mul(512) > MAX_DESCRIPTOR {
            return Err(Problem::Damaged(
                f,
                "its descriptor is larger than 1 MiB".into(),
            ));
        }
        let desc = self.region(Part::VmdkDescriptor);
        if !desc.is_some_and(|d| d.complete()) {
            return Err(Problem::Truncated(f, "descriptor"));
        }
        check_descriptor(self.bytes(Part::VmdkDescriptor))?;
        if header.gd_offset == GD_AT_END {
            self.vmdk_footer(&header, len)?;
        }
        header
            .capacity
            .checked_mul(512)
            .map(Some)
            .ok_or_else(|| Problem::Damaged(f, "its capacity overflows".into()))
    }

    /// A stream-optimized VMDK whose grain directory is "at the end" must end with a footer
    /// marker, a footer that repeats the header, and an end-of-stream marker.
    fn vmdk_footer(&self, header: &SparseHeader, len: u64) -> Result<(), Problem> {
        if self.tail_end != len || self.tail.len() < TAIL_LEN {
            return Err(Problem::Truncated(Format::Vmdk, "footer"));
        }
        let (marker, rest) = self.tail.split_at(512);
        let (footer, eos) = rest.split_at(512);
        if le32(marker, 12) != Some(3) {
            return Err(unsafe_vmdk("footer", "the footer marker is missing".into()));
        }
        if eos.iter().any(|&b| b != 0) {
            return Err(unsafe_vmdk(
                "footer",
                "the end-of-stream marker is missing".into(),
            ));
        }
        let foot = SparseHeader::parse(footer)
            .filter(|_| footer.starts_with(b"KDMV"))
            .ok_or_else(|| unsafe_vmdk("footer", "the footer is not a VMDK header".into()))?;
        if foot.gd_offset == GD_AT_END || !foot.same_layout(header) {
            return Err(unsafe_vmdk(
                "footer",
                "the footer disagrees with the header".into(),
            ));
        }
        Ok(())
    }
}

fn unsafe_vmdk(check: &'static str, reason: String) -> Problem {
    Problem::Unsafe {
        format: Format::Vmdk,
        check,
        reason,
    }
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// qcow2: virtual size at 24; no backing file, no external data file, version 2 or 3 with no
/// unknown incompatible features.
fn qcow2(head: &[u8]) -> Result<Option<u64>, Problem> {
    let f = Format::Qcow2;
    let version = be32(head, 4).ok_or(Problem::Truncated(f, "header"))?;
    let bad = |check, reason: String| Problem::Unsafe {
        format: f,
        check,
        reason,
    };
    if !(2..=3).contains(&version) {
        return Err(bad(
            "unknown_features",
            format!("version {version} is not 2 or 3"),
        ));
    }
    let needed = if version == 2 { 72 } else { 104 };
    if head.len() < needed {
        return Err(Problem::Truncated(f, "header"));
    }
    if be64(head, 8) != Some(0) {
        return Err(bad("backing_file", "it names a backing file".into()));
    }
    if version == 3 {
        let incompatible = be64(head, 72).unwrap_or(0);
        if incompatible & (1 << 2) != 0 {
            return Err(bad(
                "data_file",
                "it keeps its data in an external file".into(),
            ));
        }
        // dirty, corrupt, data file, compression type, extended L2: anything else is unknown.
        let unknown = incompatible & !0b1_1111;
        if unknown != 0 {
            return Err(bad(
                "unknown_features",
                format!("unknown incompatible features {unknown:#x}"),
            ));
        }
    }
    Ok(be64(head, 24))
}

/// LUKS: only version 1.
fn luks(head: &[u8]) -> Result<Option<u64>, Problem> {
    let version = be16(head, 6).ok_or(Problem::Truncated(Format::Luks, "header"))?;
    if version != 1 {
        return Err(Problem::Unsafe {
            format: Format::Luks,
            check: "version",
            reason: format!("LUKS version {version} is not accepted, only version 1"),
        });
    }
    Ok(None)
}

fn is_iso(head: &[u8]) -> bool {
    let id = head.get(ISO_DESCRIPTOR + 1..ISO_DESCRIPTOR + 6);
    matches!(id, Some(b"CD001") | Some(b"NSR02") | Some(b"NSR03"))
}

/// An ISO 9660 primary volume descriptor's size: volume blocks times block size.
fn iso_size(head: &[u8]) -> Option<u64> {
    let pvd = head.get(ISO_DESCRIPTOR..ISO_DESCRIPTOR + 2048)?;
    if pvd[0] != 1 || &pvd[1..6] != b"CD001" {
        return None;
    }
    let blocks = le32(pvd, 80)? as u64;
    let block = le16(pvd, 128)? as u64;
    Some(blocks * block)
}

/// An MBR signature on a sector that is not a FAT boot sector.
fn has_mbr(head: &[u8]) -> bool {
    let fat = head.get(54..57) == Some(b"FAT") || head.get(82..87) == Some(b"FAT32");
    head.get(510..512) == Some(&[0x55, 0xAA]) && !fat
}

/// The MBR's partition entries are sound: boot flags 0 or 0x80, and a protective (0xEE)
/// partition, if any, is alone and starts at sector 1.
fn mbr(head: &[u8]) -> Result<(), Problem> {
    let bad = |reason: &str| Problem::Unsafe {
        format: Format::Gpt,
        check: "mbr",
        reason: reason.into(),
    };
    let mut used = 0;
    let mut protective = None;
    for i in 0..4 {
        let e = head
            .get(446 + 16 * i..462 + 16 * i)
            .ok_or(Problem::Truncated(Format::Gpt, "MBR"))?;
        if e[0] != 0 && e[0] != 0x80 {
            return Err(bad("a partition has an invalid boot flag"));
        }
        match e[4] {
            0 => {}
            0xEE => {
                used += 1;
                protective = le32(e, 8);
            }
            _ => used += 1,
        }
    }
    match protective {
        Some(_) if used > 1 => Err(bad("the protective MBR has other partitions")),
        Some(start) if start != 1 => Err(bad("the protective partition does not start at 1")),
        _ => Ok(()),
    }
}

/// The VHDX metadata region's GUID, as stored (little-endian fields).
const VHDX_METADATA_GUID: [u8; 16] = [
    0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B, 0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E,
];
/// The VHDX "virtual disk size" metadata item's GUID, as stored.
const VHDX_SIZE_GUID: [u8; 16] = [
    0x24, 0x42, 0xA5, 0x2F, 0x1B, 0xCD, 0x76, 0x48, 0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8,
];

/// The metadata region's (offset, length) from the region table.
fn vhdx_metadata_region(table: &[u8]) -> Result<(u64, u64), Problem> {
    let f = Format::Vhdx;
    if !table.starts_with(b"regi") {
        return Err(Problem::Damaged(
            f,
            "its region table has no signature".into(),
        ));
    }
    let count = le32(table, 8).unwrap_or(0).min(2047) as usize;
    (0..count)
        .filter_map(|i| table.get(16 + 32 * i..48 + 32 * i))
        .find(|e| e[..16] == VHDX_METADATA_GUID)
        .and_then(|e| Some((le64(e, 16)?, le32(e, 24)? as u64)))
        .ok_or_else(|| Problem::Damaged(f, "it has no metadata region".into()))
}

/// The virtual disk size item's offset within the metadata region.
fn vhdx_size_item(meta: &[u8]) -> Result<u64, Problem> {
    let f = Format::Vhdx;
    if !meta.starts_with(b"metadata") {
        return Err(Problem::Damaged(
            f,
            "its metadata table has no signature".into(),
        ));
    }
    let count = le16(meta, 10).unwrap_or(0).min(2047) as usize;
    (0..count)
        .filter_map(|i| meta.get(32 + 32 * i..64 + 32 * i))
        .find(|e| e[..16] == VHDX_SIZE_GUID)
        .and_then(|e| le32(e, 16))
        .map(u64::from)
        .ok_or_else(|| Problem::Damaged(f, "it has no virtual disk size".into()))
}

/// The fields of a VMDK sparse extent header (also its footer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SparseHeader {
    version: u32,
    flags: u32,
    capacity: u64,
    grain_size: u64,
    descriptor_offset: u64,
    descriptor_size: u64,
    gtes_per_gt: u32,
    rgd_offset: u64,
    gd_offset: u64,
    overhead: u64,
    compress: u16,
}

impl SparseHeader {
    fn parse(b: &[u8]) -> Option<SparseHeader> {
        Some(SparseHeader {
            version: le32(b, 4)?,
            flags: le32(b, 8)?,
            capacity: le64(b, 12)?,
            grain_size: le64(b, 20)?,
            descriptor_offset: le64(b, 28)?,
            descriptor_size: le64(b, 36)?,
            gtes_per_gt: le32(b, 44)?,
            rgd_offset: le64(b, 48)?,
            gd_offset: le64(b, 56)?,
            overhead: le64(b, 64)?,
            compress: le16(b, 77)?,
        })
    }

    /// Equal apart from where the grain directory is.
    fn same_layout(&self, other: &SparseHeader) -> bool {
        SparseHeader {
            gd_offset: 0,
            rgd_offset: 0,
            ..*self
        } == SparseHeader {
            gd_offset: 0,
            rgd_offset: 0,
            ..*other
        }
    }
}

/// The VMDK descriptor: comments, `ddb.*` and `key=value` lines, and at least one extent whose
/// file name has no `/`; `createType` must be monolithicSparse or streamOptimized.
fn check_descriptor(bytes: &[u8]) -> Result<(), Problem> {
    let text = bytes.split(|&b| b == 0).next().unwrap_or_default();
    let text = String::from_utf8_lossy(text);
    let mut create_type = None;
    let mut extents = 0;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with("ddb.") {
            continue;
        }
        let access = line.split_whitespace().next().unwrap_or_default();
        if ["RW", "RDONLY", "NOACCESS"].contains(&access) {
            let name = match (line.find('"'), line.rfind('"')) {
                (Some(a), Some(b)) if b > a => &line[a + 1..b],
                _ => {
                    return Err(unsafe_vmdk(
                        "descriptor",
                        format!("the extent line {line:?} has no file name"),
                    ))
                }
            };
            if name.contains('/') {
                return Err(unsafe_vmdk(
                    "descriptor",
                    format!("the extent file name {name:?} contains '/'"),
                ));
            }
            extents += 1;
        } else if let Some((key, value)) = line.split_once('=') {
            if key.trim() == "createType" {
                create_type = Some(value.trim().trim_matches('"').to_string());
            }
        } else {
            return Err(unsafe_vmdk(
                "descriptor",
                format!("unexpected descriptor line {line:?}"),
            ));
        }
    }
    match create_type.as_deref() {
        Some("monolithicSparse" | "streamOptimized") => {}
        Some(other) => {
            return Err(unsafe_vmdk(
                "descriptor",
                format!(
                    "createType {other} is not allowed (only monolithicSparse and streamOptimized)"
                ),
            ))
        }
        None => return Err(unsafe_vmdk("descriptor", "it has no createType".into())),
    }
    if extents == 0 {
        return Err(unsafe_vmdk("descriptor", "it names no extent".into()));
    }
    Ok(())
}

/// Inspects data of length `len` that can be read at any offset (the browser's chosen file):
/// reads only the regions the inspector asks for, then the tail. `read(start, end)` returns those
/// bytes. Returns the inspection and how many bytes were read.
pub async fn inspect_random_access<R, F, E>(len: u64, mut read: R) -> Result<(Inspection, u64), E>
where
    R: FnMut(u64, u64) -> F,
    F: std::future::Future<Output = Result<Vec<u8>, E>>,
{
    let mut inspector = Inspector::new();
    let mut total = 0;
    // Each round follows one more pointer (VHDX: region table, metadata table, size item).
    for _ in 0..6 {
        let wanted = inspector.wanted(len);
        if wanted.is_empty() {
            break;
        }
        for (start, end) in wanted {
            let bytes = read(start, end).await?;
            total += bytes.len() as u64;
            inspector.provide(start, &bytes);
        }
    }
    let tail = len.saturating_sub(TAIL_LEN as u64);
    let bytes = read(tail, len).await?;
    total += bytes.len() as u64;
    inspector.provide(tail, &bytes);
    Ok((inspector.finish(len), total))
}

/// Inspects a whole image held in memory (tests and small files).
pub fn inspect_bytes(data: &[u8]) -> Inspection {
    let mut i = Inspector::new();
    i.provide(0, data);
    i.finish(data.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(buf: &mut Vec<u8>, at: usize, bytes: &[u8]) {
        if buf.len() < at + bytes.len() {
            buf.resize(at + bytes.len(), 0);
        }
        buf[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn qcow2_header(version: u32, backing: u64, incompatible: u64) -> Vec<u8> {
        let mut b = vec![0u8; 512];
        put(&mut b, 0, b"QFI\xfb");
        put(&mut b, 4, &version.to_be_bytes());
        put(&mut b, 8, &backing.to_be_bytes());
        put(&mut b, 20, &16u32.to_be_bytes());
        put(&mut b, 24, &(64u64 << 20).to_be_bytes());
        put(&mut b, 72, &incompatible.to_be_bytes());
        b
    }

    fn descriptor(create_type: &str, extent: &str) -> String {
        format!(
            "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n\
             createType=\"{create_type}\"\n\n# Extent description\n{extent}\n\n\
             # The Disk Data Base\n#DDB\n\nddb.adapterType = \"ide\"\n"
        )
    }

    /// A sparse VMDK: header in sector 0, descriptor in sectors 1-2, then `extra` sectors.
    fn vmdk(create_type: &str, gd_offset: u64) -> Vec<u8> {
        let mut b = vec![0u8; 512 * 8];
        put(&mut b, 0, b"KDMV");
        put(&mut b, 4, &3u32.to_le_bytes());
        put(&mut b, 8, &0x30003u32.to_le_bytes());
        put(&mut b, 12, &131072u64.to_le_bytes());
        put(&mut b, 20, &128u64.to_le_bytes());
        put(&mut b, 28, &1u64.to_le_bytes());
        put(&mut b, 36, &2u64.to_le_bytes());
        put(&mut b, 44, &512u32.to_le_bytes());
        put(&mut b, 56, &gd_offset.to_le_bytes());
        put(&mut b, 77, &1u16.to_le_bytes());
        let d = descriptor(create_type, "RW 131072 SPARSE \"disk.vmdk\"");
        put(&mut b, 512, d.as_bytes());
        b
    }

    /// Appends a stream-optimized footer marker, footer (`footer` edits the header copy) and
    /// end-of-stream marker.
    fn with_footer(mut b: Vec<u8>, edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
        let mut marker = vec![0u8; 512];
        put(&mut marker, 12, &3u32.to_le_bytes());
        let mut footer = b[..512].to_vec();
        put(&mut footer, 56, &7u64.to_le_bytes());
        edit(&mut footer);
        b.extend_from_slice(&marker);
        b.extend_from_slice(&footer);
        b.extend_from_slice(&[0u8; 512]);
        b
    }

    fn vhdx(size: u64) -> Vec<u8> {
        let mut b = vec![0u8; 0x50000];
        put(&mut b, 0, b"vhdxfile");
        let t = VHDX_REGION_TABLE as usize;
        put(&mut b, t, b"regi");
        put(&mut b, t + 8, &2u32.to_le_bytes());
        // A first, unrelated region entry, then the metadata region at 0x40000.
        put(&mut b, t + 16, &[0xAA; 16]);
        put(&mut b, t + 48, &VHDX_METADATA_GUID);
        put(&mut b, t + 64, &0x40000u64.to_le_bytes());
        put(&mut b, t + 72, &0x10000u32.to_le_bytes());
        let m = 0x40000;
        put(&mut b, m, b"metadata");
        put(&mut b, m + 10, &1u16.to_le_bytes());
        put(&mut b, m + 32, &VHDX_SIZE_GUID);
        put(&mut b, m + 48, &0x100u32.to_le_bytes());
        put(&mut b, m + 0x100, &size.to_le_bytes());
        b
    }

    fn iso(blocks: u32) -> Vec<u8> {
        let mut b = vec![0u8; 34 * 1024];
        put(&mut b, ISO_DESCRIPTOR, b"\x01CD001\x01");
        put(&mut b, ISO_DESCRIPTOR + 80, &blocks.to_le_bytes());
        put(&mut b, ISO_DESCRIPTOR + 128, &2048u16.to_le_bytes());
        b
    }

    fn mbr(entries: &[(u8, u8, u32)]) -> Vec<u8> {
        let mut b = vec![0u8; 1024];
        for (i, (boot, kind, start)) in entries.iter().enumerate() {
            put(&mut b, 446 + 16 * i, &[*boot]);
            put(&mut b, 446 + 16 * i + 4, &[*kind]);
            put(&mut b, 446 + 16 * i + 8, &start.to_le_bytes());
        }
        put(&mut b, 510, &[0x55, 0xAA]);
        b
    }

    fn check_of(i: &Inspection) -> Option<&'static str> {
        match &i.problem {
            Some(Problem::Unsafe { check, .. }) => Some(check),
            _ => None,
        }
    }

    #[test]
    fn qcow2_versions_size_and_safety() {
        let v2 = inspect_bytes(&qcow2_header(2, 0, 0));
        assert_eq!(
            (v2.format, v2.virtual_size, v2.problem),
            (Format::Qcow2, Some(64 << 20), None)
        );
        let v3 = inspect_bytes(&qcow2_header(3, 0, 0b11));
        assert_eq!((v3.virtual_size, v3.problem), (Some(64 << 20), None));
        assert_eq!(
            check_of(&inspect_bytes(&qcow2_header(3, 0x200, 0))),
            Some("backing_file")
        );
        assert_eq!(
            check_of(&inspect_bytes(&qcow2_header(3, 0, 1 << 2))),
            Some("data_file")
        );
        assert_eq!(
            check_of(&inspect_bytes(&qcow2_header(3, 0, 1 << 9))),
            Some("unknown_features")
        );
        assert_eq!(
            check_of(&inspect_bytes(&qcow2_header(4, 0, 0))),
            Some("unknown_features")
        );
        let cut = inspect_bytes(&qcow2_header(3, 0, 0)[..80]);
        assert_eq!(
            cut.problem,
            Some(Problem::Truncated(Format::Qcow2, "header"))
        );
    }

    #[test]
    fn vhd_vdi_luks_qed_and_raw() {
        let mut vhd = vec![0u8; 512];
        put(&mut vhd, 0, b"conectix");
        put(&mut vhd, 40, &67125248u64.to_be_bytes());
        let i = inspect_bytes(&vhd);
        assert_eq!((i.format, i.virtual_size), (Format::Vhd, Some(67125248)));

        let mut vdi = vec![0u8; 1024];
        put(&mut vdi, 0x40, &0xBEDA107Fu32.to_le_bytes());
        put(&mut vdi, 0x170, &(1u64 << 30).to_le_bytes());
        let i = inspect_bytes(&vdi);
        assert_eq!((i.format, i.virtual_size), (Format::Vdi, Some(1 << 30)));
        assert!(matches!(
            inspect_bytes(&vdi[..0x100]).problem,
            Some(Problem::Truncated(..))
        ));

        let mut luks = b"LUKS\xba\xbe\x00\x01".to_vec();
        luks.resize(1024, 0);
        assert_eq!(inspect_bytes(&luks).problem, None);
        luks[7] = 2;
        assert_eq!(check_of(&inspect_bytes(&luks)), Some("version"));

        assert_eq!(check_of(&inspect_bytes(b"QED\0 and more")), Some("qed"));

        let raw = inspect_bytes(&[7u8; 4000]);
        assert_eq!(
            (raw.format, raw.virtual_size, raw.problem),
            (Format::Raw, Some(4000), None)
        );
        assert_eq!(inspect_bytes(&[]).format, Format::Raw);
    }

    #[test]
    fn vhdx_size_is_found_through_its_tables() {
        let i = inspect_bytes(&vhdx(5 << 30));
        assert_eq!(
            (i.format, i.virtual_size, i.problem),
            (Format::Vhdx, Some(5 << 30), None)
        );
        let mut broken = vhdx(1);
        put(&mut broken, VHDX_REGION_TABLE as usize, b"nope");
        assert!(matches!(
            inspect_bytes(&broken).problem,
            Some(Problem::Damaged(..))
        ));
        let cut = inspect_bytes(&vhdx(1)[..0x38000]);
        assert_eq!(
            cut.problem,
            Some(Problem::Truncated(Format::Vhdx, "region table"))
        );
    }

    #[test]
    fn vmdk_descriptor_rules() {
        let ok = inspect_bytes(&vmdk("monolithicSparse", 30));
        assert_eq!(
            (ok.format, ok.virtual_size, ok.problem),
            (Format::Vmdk, Some(64 << 20), None)
        );
        assert_eq!(inspect_bytes(&vmdk("streamOptimized", 30)).problem, None);
        let flat = inspect_bytes(&vmdk("monolithicFlat", 30));
        assert!(flat
            .problem
            .unwrap()
            .to_string()
            .contains("createType monolithicFlat"));

        let mut slash = vmdk("monolithicSparse", 30);
        let d = descriptor("monolithicSparse", "RW 131072 SPARSE \"/etc/shadow\"");
        put(&mut slash, 512, &[0u8; 1024]);
        put(&mut slash, 512, d.as_bytes());
        let p = inspect_bytes(&slash).problem.unwrap().to_string();
        assert!(p.contains("contains '/'"), "{p}");

        let mut none = vmdk("monolithicSparse", 30);
        put(&mut none, 512, &[0u8; 1024]);
        put(
            &mut none,
            512,
            descriptor("monolithicSparse", "").as_bytes(),
        );
        assert!(inspect_bytes(&none)
            .problem
            .unwrap()
            .to_string()
            .contains("no extent"));

        let mut odd = vmdk("monolithicSparse", 30);
        put(&mut odd, 512 + 22, b"!!!!!!!!!");
        assert_eq!(check_of(&inspect_bytes(&odd)), Some("descriptor"));

        // A descriptor file alone, even with an allowed type, points at other files.
        let file = descriptor("monolithicSparse", "RW 131072 SPARSE \"disk.vmdk\"");
        let i = inspect_bytes(file.as_bytes());
        assert_eq!((i.format, check_of(&i)), (Format::Vmdk, Some("descriptor")));
        let file = descriptor("monolithicFlat", "RW 131072 FLAT \"disk-flat.vmdk\" 0");
        assert!(inspect_bytes(file.as_bytes())
            .problem
            .unwrap()
            .to_string()
            .contains("monolithicFlat"));
    }

    #[test]
    fn vmdk_stream_footer_must_match_the_header() {
        let body = vmdk("streamOptimized", GD_AT_END);
        let good = inspect_bytes(&with_footer(body.clone(), |_| {}));
        assert_eq!(good.problem, None);
        let other = with_footer(body.clone(), |f| put(f, 12, &999u64.to_le_bytes()));
        let p = inspect_bytes(&other).problem.unwrap().to_string();
        assert!(p.contains("footer disagrees"), "{p}");
        let mut no_eos = with_footer(body.clone(), |_| {});
        let n = no_eos.len();
        no_eos[n - 100] = 1;
        assert_eq!(check_of(&inspect_bytes(&no_eos)), Some("footer"));
        let unended = inspect_bytes(&body);
        assert_eq!(check_of(&unended), Some("footer"));
    }

    #[test]
    fn iso_gpt_and_fat() {
        let i = inspect_bytes(&iso(184));
        assert_eq!((i.format, i.virtual_size), (Format::Iso, Some(184 * 2048)));
        let mut hybrid = iso(10);
        put(&mut hybrid, 0, &mbr(&[(0x80, 0x17, 0)])[..512]);
        assert_eq!(inspect_bytes(&hybrid).format, Format::Iso);

        let gpt = inspect_bytes(&mbr(&[(0, 0xEE, 1)]));
        assert_eq!((gpt.format, gpt.problem), (Format::Gpt, None));
        assert_eq!(
            check_of(&inspect_bytes(&mbr(&[(0x12, 0x83, 2048)]))),
            Some("mbr")
        );
        assert_eq!(
            check_of(&inspect_bytes(&mbr(&[(0, 0xEE, 1), (0, 0x83, 9)]))),
            Some("mbr")
        );
        assert_eq!(check_of(&inspect_bytes(&mbr(&[(0, 0xEE, 5)]))), Some("mbr"));
        let mut fat = mbr(&[]);
        put(&mut fat, 54, b"FAT16   ");
        assert_eq!(inspect_bytes(&fat).format, Format::Raw);

        let mut both = qcow2_header(3, 0, 0);
        put(&mut both, 510, &[0x55, 0xAA]);
        let i = inspect_bytes(&both);
        assert_eq!(
            i.problem,
            Some(Problem::Ambiguous(vec![Format::Qcow2, Format::Gpt]))
        );
    }

    #[test]
    fn judge_follows_glance() {
        let found = |format, virtual_size| Inspection {
            format,
            virtual_size,
            problem: None,
        };
        let q = found(Format::Qcow2, Some(10));
        let accept = |v, w: bool| {
            move |verdict: Verdict| match verdict {
                Verdict::Accept {
                    virtual_size,
                    warning,
                } => virtual_size == v && warning.is_some() == w,
                Verdict::Refuse(_) => false,
            }
        };
        assert!(accept(Some(10), false)(judge("qcow2", &q, 99, true)));
        assert!(accept(Some(99), true)(judge("raw", &q, 99, true)));
        assert!(accept(Some(99), false)(judge(
            "raw",
            &found(Format::Raw, Some(99)),
            99,
            true
        )));
        assert!(accept(None, false)(judge(
            "aki",
            &found(Format::Raw, Some(99)),
            99,
            true
        )));
        assert_eq!(
            judge("vmdk", &q, 99, true),
            Verdict::Refuse("The data is a qcow2 image, not the declared vmdk.".into())
        );
        assert!(accept(None, true)(judge("vmdk", &q, 99, false)));
        assert!(matches!(
            judge("qcow2", &found(Format::Raw, Some(9)), 9, true),
            Verdict::Refuse(_)
        ));
        let unsafe_raw = inspect_bytes(b"QED\0...");
        assert!(matches!(
            judge("raw", &unsafe_raw, 7, false),
            Verdict::Refuse(_)
        ));
    }

    /// Feeds `data` in the given chunk sizes, as a stream would.
    fn streamed(data: &[u8], sizes: &[usize]) -> Inspection {
        let mut i = Inspector::new();
        let (mut at, mut k) = (0, 0);
        while at < data.len() {
            let n = sizes[k % sizes.len()].max(1).min(data.len() - at);
            i.provide(at as u64, &data[at..at + n]);
            at += n;
            k += 1;
        }
        i.finish(data.len() as u64)
    }

    /// Reads only what the inspector asks for, plus the tail, as the browser does.
    fn random_access(data: &[u8]) -> (Inspection, usize) {
        let read =
            |a: u64, b: u64| std::future::ready(Ok::<_, ()>(data[a as usize..b as usize].to_vec()));
        let mut run = std::pin::pin!(inspect_random_access(data.len() as u64, read));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match std::future::Future::poll(run.as_mut(), &mut cx) {
            std::task::Poll::Ready(Ok((found, read))) => (found, read as usize),
            _ => unreachable!("reads from memory are ready at once"),
        }
    }

    fn samples() -> Vec<Vec<u8>> {
        let mut stream = with_footer(vmdk("streamOptimized", GD_AT_END), |_| {});
        stream.splice(4096..4096, vec![9u8; 200_000]);
        let mut big_vhdx = vhdx(3 << 30);
        big_vhdx.resize(3 << 20, 1);
        vec![
            qcow2_header(3, 0, 0),
            qcow2_header(2, 8, 0),
            vmdk("monolithicSparse", 30),
            stream,
            big_vhdx,
            iso(50),
            mbr(&[(0, 0xEE, 1)]),
            vec![3u8; 300_000],
        ]
    }

    #[test]
    fn chunking_and_random_access_agree_with_one_pass() {
        for data in samples() {
            let whole = inspect_bytes(&data);
            for sizes in [&[1usize][..], &[7, 4096, 13], &[65536], &[100_000, 3]] {
                if sizes == [1] && data.len() > 70_000 {
                    continue;
                }
                assert_eq!(streamed(&data, sizes), whole, "chunks {sizes:?}");
            }
            let (seen, read) = random_access(&data);
            assert_eq!(seen, whole);
            assert!(read <= 200 * 1024, "read {read} bytes");
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]

            /// Random bytes, fed in random chunks: never a panic, and chunking changes nothing.
            #[test]
            fn random_data_never_panics(data in prop::collection::vec(any::<u8>(), 0..70_000),
                                        sizes in prop::collection::vec(1usize..9000, 1..5)) {
                let whole = inspect_bytes(&data);
                prop_assert_eq!(streamed(&data, &sizes), whole.clone());
                prop_assert_eq!(random_access(&data).0, whole);
            }

            /// Real headers with random bytes overwritten (magic kept, so the parsers run).
            #[test]
            fn mutated_headers_never_panic(pick in 0usize..8,
                                           edits in prop::collection::vec((0usize..0x50000, any::<u8>()), 1..40),
                                           cut in 0usize..0x50000,
                                           sizes in prop::collection::vec(1usize..70_000, 1..4)) {
                let mut data = samples().swap_remove(pick);
                for (at, v) in edits {
                    if at >= 4 && at < data.len() {
                        data[at] = v;
                    }
                }
                if cut < data.len() && cut % 3 == 0 {
                    data.truncate(cut);
                }
                let whole = inspect_bytes(&data);
                prop_assert_eq!(streamed(&data, &sizes), whole.clone());
                prop_assert_eq!(random_access(&data).0, whole);
            }
        }
    }
}
