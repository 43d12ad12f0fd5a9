//! Reading each format's headers: bounds-checked integer reads, and the parsers and safety
//! checks of qcow2, luks, iso, mbr/gpt, vhdx and vmdk (sparse header and descriptor).

use super::*;

pub(super) fn unsafe_vmdk(check: Check, finding: Finding) -> Problem {
    Problem::Unsafe {
        format: Format::Vmdk,
        check,
        finding,
    }
}

pub(super) fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(super) fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub(super) fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

pub(super) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(super) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub(super) fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// qcow2: virtual size at 24; no backing file, no external data file, version 2 or 3 with no
/// unknown incompatible features.
pub(super) fn qcow2(head: &[u8]) -> Result<Option<u64>, Problem> {
    let f = Format::Qcow2;
    let version = be32(head, 4).ok_or(Problem::Truncated(f, Section::Header))?;
    let bad = |check, finding| Problem::Unsafe {
        format: f,
        check,
        finding,
    };
    if !(2..=3).contains(&version) {
        return Err(bad(Check::UnknownFeatures, Finding::Qcow2Version(version)));
    }
    let needed = if version == 2 { 72 } else { 104 };
    if head.len() < needed {
        return Err(Problem::Truncated(f, Section::Header));
    }
    if be64(head, 8) != Some(0) {
        return Err(bad(Check::BackingFile, Finding::BackingFile));
    }
    if version == 3 {
        let incompatible = be64(head, 72).unwrap_or(0);
        if incompatible & (1 << 2) != 0 {
            return Err(bad(Check::DataFile, Finding::ExternalData));
        }
        // dirty, corrupt, data file, compression type, extended L2: anything else is unknown.
        let unknown = incompatible & !0b1_1111;
        if unknown != 0 {
            return Err(bad(
                Check::UnknownFeatures,
                Finding::UnknownFeatures(unknown),
            ));
        }
    }
    Ok(be64(head, 24))
}

/// LUKS: only version 1.
pub(super) fn luks(head: &[u8]) -> Result<Option<u64>, Problem> {
    let version = be16(head, 6).ok_or(Problem::Truncated(Format::Luks, Section::Header))?;
    if version != 1 {
        return Err(Problem::Unsafe {
            format: Format::Luks,
            check: Check::Version,
            finding: Finding::LuksVersion(version),
        });
    }
    Ok(None)
}

pub(super) fn is_iso(head: &[u8]) -> bool {
    let id = head.get(ISO_DESCRIPTOR + 1..ISO_DESCRIPTOR + 6);
    matches!(id, Some(b"CD001") | Some(b"NSR02") | Some(b"NSR03"))
}

/// An ISO 9660 primary volume descriptor's size: volume blocks times block size.
pub(super) fn iso_size(head: &[u8]) -> Option<u64> {
    let pvd = head.get(ISO_DESCRIPTOR..ISO_DESCRIPTOR + 2048)?;
    if pvd[0] != 1 || &pvd[1..6] != b"CD001" {
        return None;
    }
    let blocks = le32(pvd, 80)? as u64;
    let block = le16(pvd, 128)? as u64;
    Some(blocks * block)
}

/// An MBR signature on a sector that is not a FAT boot sector.
pub(super) fn has_mbr(head: &[u8]) -> bool {
    let fat = head.get(54..57) == Some(b"FAT") || head.get(82..87) == Some(b"FAT32");
    head.get(510..512) == Some(&[0x55, 0xAA]) && !fat
}

/// The MBR's partition entries are sound: boot flags 0 or 0x80, and a protective (0xEE)
/// partition, if any, is alone and starts at sector 1.
pub(super) fn mbr(head: &[u8]) -> Result<(), Problem> {
    let bad = |finding| Problem::Unsafe {
        format: Format::Gpt,
        check: Check::Mbr,
        finding,
    };
    let mut used = 0;
    let mut protective = None;
    for i in 0..4 {
        let e = head
            .get(446 + 16 * i..462 + 16 * i)
            .ok_or(Problem::Truncated(Format::Gpt, Section::Mbr))?;
        if e[0] != 0 && e[0] != 0x80 {
            return Err(bad(Finding::BadBootFlag));
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
        Some(_) if used > 1 => Err(bad(Finding::OtherPartitions)),
        Some(start) if start != 1 => Err(bad(Finding::ProtectiveNotAtOne)),
        _ => Ok(()),
    }
}

/// The VHDX metadata region's GUID, as stored (little-endian fields).
pub(super) const VHDX_METADATA_GUID: [u8; 16] = [
    0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B, 0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E,
];
/// The VHDX "virtual disk size" metadata item's GUID, as stored.
pub(super) const VHDX_SIZE_GUID: [u8; 16] = [
    0x24, 0x42, 0xA5, 0x2F, 0x1B, 0xCD, 0x76, 0x48, 0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8,
];

/// The metadata region's (offset, length) from the region table.
pub(super) fn vhdx_metadata_region(table: &[u8]) -> Result<(u64, u64), Problem> {
    let f = Format::Vhdx;
    if !table.starts_with(b"regi") {
        return Err(Problem::Damaged(f, Finding::NoRegionTableSignature));
    }
    let count = le32(table, 8).unwrap_or(0).min(2047) as usize;
    (0..count)
        .filter_map(|i| table.get(16 + 32 * i..48 + 32 * i))
        .find(|e| e[..16] == VHDX_METADATA_GUID)
        .and_then(|e| Some((le64(e, 16)?, le32(e, 24)? as u64)))
        .ok_or(Problem::Damaged(f, Finding::NoMetadataRegion))
}

/// The virtual disk size item's offset within the metadata region.
pub(super) fn vhdx_size_item(meta: &[u8]) -> Result<u64, Problem> {
    let f = Format::Vhdx;
    if !meta.starts_with(b"metadata") {
        return Err(Problem::Damaged(f, Finding::NoMetadataSignature));
    }
    let count = le16(meta, 10).unwrap_or(0).min(2047) as usize;
    (0..count)
        .filter_map(|i| meta.get(32 + 32 * i..64 + 32 * i))
        .find(|e| e[..16] == VHDX_SIZE_GUID)
        .and_then(|e| le32(e, 16))
        .map(u64::from)
        .ok_or(Problem::Damaged(f, Finding::NoVirtualSize))
}

/// The fields of a VMDK sparse extent header (also its footer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SparseHeader {
    pub(super) version: u32,
    pub(super) flags: u32,
    pub(super) capacity: u64,
    pub(super) grain_size: u64,
    pub(super) descriptor_offset: u64,
    pub(super) descriptor_size: u64,
    pub(super) gtes_per_gt: u32,
    pub(super) rgd_offset: u64,
    pub(super) gd_offset: u64,
    pub(super) overhead: u64,
    pub(super) compress: u16,
}

impl SparseHeader {
    pub(super) fn parse(b: &[u8]) -> Option<SparseHeader> {
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
    pub(super) fn same_layout(&self, other: &SparseHeader) -> bool {
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
pub(super) fn check_descriptor(bytes: &[u8]) -> Result<(), Problem> {
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
                        Check::Descriptor,
                        Finding::ExtentWithoutName(line.to_string()),
                    ))
                }
            };
            if name.contains('/') {
                return Err(unsafe_vmdk(
                    Check::Descriptor,
                    Finding::ExtentPath(name.to_string()),
                ));
            }
            extents += 1;
        } else if let Some((key, value)) = line.split_once('=') {
            if key.trim() == "createType" {
                create_type = Some(value.trim().trim_matches('"').to_string());
            }
        } else {
            return Err(unsafe_vmdk(
                Check::Descriptor,
                Finding::UnexpectedLine(line.to_string()),
            ));
        }
    }
    match create_type.as_deref() {
        Some("monolithicSparse" | "streamOptimized") => {}
        Some(other) => {
            return Err(unsafe_vmdk(
                Check::Descriptor,
                Finding::CreateType(other.to_string()),
            ))
        }
        None => return Err(unsafe_vmdk(Check::Descriptor, Finding::NoCreateType)),
    }
    if extents == 0 {
        return Err(unsafe_vmdk(Check::Descriptor, Finding::NoExtent));
    }
    Ok(())
}
