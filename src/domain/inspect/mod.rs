//! Disk-format inspection: tells raw, qcow2, vhd, vhdx, vmdk, vdi, iso, gpt, luks and qed apart
//! from an image's bytes, reads the virtual size, runs the safety checks Glance learned from its
//! CVEs, and judges an upload against its declared `disk_format`.
//!
//! Pure and incremental: the server feeds the upload's chunks as they stream past
//! ([`Inspector::provide`] with increasing offsets), and the browser feeds the few regions
//! [`Inspector::wanted`] asks for, read from the chosen file. Only header regions are kept
//! (at most about 1.2 MiB, usually 64 KiB), never the whole image; every read of captured bytes is
//! bounds-checked, so no input can make the inspector panic or look past what it was given.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A format the inspector can recognise. `Gpt`, `Luks` and `Qed` are not Glance disk formats;
/// they are found inside uploads declared `raw` (and `Qed` is always refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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

/// Why the data cannot be trusted or understood (typed, so the dashboard words it in the user's
/// language; `Display` gives the API's words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Problem {
    /// The format's header or a region it points at ends before the data does.
    #[error("The {0} image is cut short: its {1} is incomplete.")]
    Truncated(Format, Section),
    /// The header is there but does not make sense.
    #[error("The {0} image is damaged: {1}.")]
    Damaged(Format, Finding),
    /// The data matches more than one format.
    #[error("The data matches several formats ({}).", names(.0))]
    Ambiguous(Vec<Format>),
    /// A safety check failed: `check` is Glance's name for it.
    #[error("The {format} image failed the {check} safety check: {finding}.")]
    Unsafe {
        /// The detected format.
        format: Format,
        /// The check: backing_file, data_file, unknown_features, descriptor, footer, mbr, ...
        check: Check,
        /// What was found.
        finding: Finding,
    },
}

fn names(formats: &[Format]) -> String {
    formats
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A part of an image's layout that the inspector reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Section {
    /// The format's header.
    #[error("header")]
    Header,
    /// A disk's master boot record.
    #[error("MBR")]
    Mbr,
    /// VHD's copy of its footer at the start.
    #[error("footer copy")]
    FooterCopy,
    /// VHDX's region table.
    #[error("region table")]
    RegionTable,
    /// VHDX's metadata region.
    #[error("metadata region")]
    MetadataRegion,
    /// VHDX's virtual disk size item.
    #[error("virtual disk size item")]
    SizeItem,
    /// VMDK's embedded descriptor.
    #[error("descriptor")]
    Descriptor,
    /// A stream-optimized VMDK's footer.
    #[error("footer")]
    Footer,
}

/// A safety check, by Glance's name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Check {
    /// qcow2: a backing file.
    BackingFile,
    /// qcow2: an external data file.
    DataFile,
    /// qcow2: a version or incompatible feature it does not know.
    UnknownFeatures,
    /// LUKS: only version 1.
    Version,
    /// QED is never accepted.
    Qed,
    /// The MBR's partition entries.
    Mbr,
    /// VMDK's descriptor.
    Descriptor,
    /// A stream-optimized VMDK's footer.
    Footer,
}

impl Check {
    /// Glance's name for the check.
    pub fn name(self) -> &'static str {
        match self {
            Check::BackingFile => "backing_file",
            Check::DataFile => "data_file",
            Check::UnknownFeatures => "unknown_features",
            Check::Version => "version",
            Check::Qed => "qed",
            Check::Mbr => "mbr",
            Check::Descriptor => "descriptor",
            Check::Footer => "footer",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the inspector found wrong, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Finding {
    /// qcow2 version other than 2 or 3.
    #[error("version {0} is not 2 or 3")]
    Qcow2Version(u32),
    /// qcow2 backing file.
    #[error("it names a backing file")]
    BackingFile,
    /// qcow2 external data file.
    #[error("it keeps its data in an external file")]
    ExternalData,
    /// qcow2 incompatible feature bits it does not know.
    #[error("unknown incompatible features {0:#x}")]
    UnknownFeatures(u64),
    /// LUKS version other than 1.
    #[error("LUKS version {0} is not accepted, only version 1")]
    LuksVersion(u16),
    /// QED at all.
    #[error("QED images are not accepted")]
    QedRefused,
    /// An MBR boot flag other than 0 or 0x80.
    #[error("a partition has an invalid boot flag")]
    BadBootFlag,
    /// A protective MBR with other partitions.
    #[error("the protective MBR has other partitions")]
    OtherPartitions,
    /// A protective partition not at sector 1.
    #[error("the protective partition does not start at 1")]
    ProtectiveNotAtOne,
    /// VHDX region table without its signature.
    #[error("its region table has no signature")]
    NoRegionTableSignature,
    /// VHDX without a metadata region.
    #[error("it has no metadata region")]
    NoMetadataRegion,
    /// VHDX metadata table without its signature.
    #[error("its metadata table has no signature")]
    NoMetadataSignature,
    /// VHDX without a virtual disk size.
    #[error("it has no virtual disk size")]
    NoVirtualSize,
    /// A VMDK descriptor over 1 MiB.
    #[error("its descriptor is larger than 1 MiB")]
    DescriptorTooLarge,
    /// A VMDK capacity that overflows.
    #[error("its capacity overflows")]
    CapacityOverflows,
    /// A VMDK extent line without a quoted file name (the line, as written).
    #[error("the extent line {0:?} has no file name")]
    ExtentWithoutName(String),
    /// A VMDK extent file name with a `/`.
    #[error("the extent file name {0:?} contains '/'")]
    ExtentPath(String),
    /// A VMDK descriptor line it does not know.
    #[error("unexpected descriptor line {0:?}")]
    UnexpectedLine(String),
    /// A VMDK createType other than monolithicSparse or streamOptimized.
    #[error("createType {0} is not allowed (only monolithicSparse and streamOptimized)")]
    CreateType(String),
    /// A VMDK descriptor without createType.
    #[error("it has no createType")]
    NoCreateType,
    /// A VMDK descriptor without an extent.
    #[error("it names no extent")]
    NoExtent,
    /// A VMDK descriptor file on its own.
    #[error("a descriptor file without its data refers to other files")]
    DescriptorOnly,
    /// A sparse VMDK without a descriptor.
    #[error("it has no descriptor")]
    NoDescriptor,
    /// A stream-optimized VMDK without its footer marker.
    #[error("the footer marker is missing")]
    NoFooterMarker,
    /// A stream-optimized VMDK without its end-of-stream marker.
    #[error("the end-of-stream marker is missing")]
    NoEndMarker,
    /// A stream-optimized VMDK whose footer is not a header.
    #[error("the footer is not a VMDK header")]
    FooterNotHeader,
    /// A stream-optimized VMDK whose footer disagrees with its header.
    #[error("the footer disagrees with the header")]
    FooterDisagrees,
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
        warning: Option<Refusal>,
    },
    /// Refuse the data (Glance answers 415), saying why.
    Refuse(Refusal),
}

/// Why uploaded data is refused (or, when tolerated, what is off about it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
    /// The data failed a check or could not be read.
    #[error("{0}")]
    Problem(Problem),
    /// The data is another format than the declared one.
    #[error("The data is a {detected} image, not the declared {declared}.")]
    Mismatch { detected: Format, declared: String },
    /// Declared raw, but another format was found (kept as raw).
    #[error("Declared raw, but the data is a {detected} image; kept as raw.")]
    KeptAsRaw { detected: Format },
}

/// Judges an inspected upload against its declared `disk_format`, as Glance does: a failed
/// safety check is always fatal; `raw` may hold a richer format (warned, virtual size = bytes);
/// raw data passes for the uninspectable formats; any other mismatch is fatal when
/// `require_match` (Glance's `require_image_format_match`, on by default).
pub fn judge(declared: &str, found: &Inspection, size: u64, require_match: bool) -> Verdict {
    if let Some(p) = &found.problem {
        return Verdict::Refuse(Refusal::Problem(p.clone()));
    }
    let detected = found.format;
    if detected.name() == declared {
        return Verdict::Accept {
            virtual_size: found.virtual_size,
            warning: None,
        };
    }
    if declared == "raw" {
        return Verdict::Accept {
            virtual_size: Some(size),
            warning: Some(Refusal::KeptAsRaw { detected }),
        };
    }
    if found.format == Format::Raw && UNINSPECTABLE.contains(&declared) {
        return Verdict::Accept {
            virtual_size: None,
            warning: None,
        };
    }
    let msg = Refusal::Mismatch {
        detected,
        declared: declared.to_string(),
    };
    if require_match {
        Verdict::Refuse(msg)
    } else {
        Verdict::Accept {
            virtual_size: None,
            warning: Some(msg),
        }
    }
}

mod formats;
mod inspector;
#[cfg(test)]
mod tests;

use formats::*;
pub use inspector::*;

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
