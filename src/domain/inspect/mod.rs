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
