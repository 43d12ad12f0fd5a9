//! The optional conversion step of an import (Glance's `image_conversion` plugin): the data is
//! written to a node-local work file while the inspector reads it, refused if it fails the
//! safety checks (a backing file, a data file, …) or is not its declared format, converted by
//! `qemu-img convert` with the input format given (never probed) under CPU-time and memory
//! limits (`prlimit`), and the result inspected again before it is stored.

use super::*;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// Conversion settings.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The disk format imports end in (`raw` by default in Glance).
    pub format: String,
    /// Where work files go (node-local).
    pub work_dir: PathBuf,
    /// CPU seconds `qemu-img` may use.
    pub cpu_seconds: u64,
    /// Address space `qemu-img` may use, bytes.
    pub memory_bytes: u64,
}

/// A file that is removed when dropped.
#[derive(Debug)]
struct WorkFile(PathBuf);

impl Drop for WorkFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A converted image, on disk until dropped.
#[derive(Debug)]
pub struct Converted {
    file: WorkFile,
    /// Its size, bytes.
    pub size: u64,
}

impl Converted {
    /// The converted data as a stream (the work file goes when the stream is dropped).
    pub async fn stream(
        self,
    ) -> Result<BoxStream<'static, Result<Bytes, std::io::Error>>, ImageError> {
        let f = tokio::fs::File::open(&self.file.0).await?;
        let keep = self.file;
        let s = tokio_util::io::ReaderStream::with_capacity(f, 1 << 20).map(move |r| {
            let _ = &keep;
            r
        });
        Ok(s.boxed())
    }
}

/// qemu-img's name for a detected format.
fn qemu_format(f: inspect::Format) -> Option<&'static str> {
    use inspect::Format::*;
    Some(match f {
        Raw | Iso | Gpt => "raw",
        Qcow2 => "qcow2",
        Vhd => "vpc",
        Vhdx => "vhdx",
        Vmdk => "vmdk",
        Vdi => "vdi",
        _ => return None,
    })
}

impl Conversion {
    /// The format imports end in.
    pub fn format(&self) -> &str {
        &self.format
    }

    /// Receives `body` into a work file (at most `cap` bytes, `declared` if given), checks it,
    /// and converts it.
    pub async fn convert<E: std::fmt::Display>(
        &self,
        img: &Image,
        declared: Option<u64>,
        mut body: BoxStream<'static, Result<Bytes, E>>,
        cap: u64,
    ) -> Result<Converted, ImageError> {
        tokio::fs::create_dir_all(&self.work_dir).await?;
        let name = uuid::Uuid::new_v4().simple().to_string();
        let input = WorkFile(self.work_dir.join(format!("{}.{name}.in", img.id)));
        let output = WorkFile(self.work_dir.join(format!("{}.{name}.out", img.id)));
        let mut file = tokio::fs::File::create(&input.0).await?;
        let mut inspector = Inspector::new();
        let mut total = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| ImageError::Interrupted(e.to_string()))?;
            inspector.provide(total, &chunk);
            total += chunk.len() as u64;
            if total > cap {
                return Err(ImageError::TooLarge(Reason::SizeCap { bytes: cap }));
            }
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        drop(file);
        if declared.is_some_and(|n| n != total) {
            return Err(ImageError::Invalid(Reason::SizeMismatch));
        }
        let found = inspector.finish(total);
        let declared_format = img.disk_format.as_deref().unwrap_or_default();
        if let Verdict::Refuse(why) = inspect::judge(declared_format, &found, total, true) {
            return Err(ImageError::UnsupportedMedia(Reason::DataRefused { why }));
        }
        let from = qemu_format(found.format).ok_or_else(|| {
            ImageError::UnsupportedMedia(Reason::ConversionFailed {
                why: format!("{} images cannot be converted", found.format.name()),
            })
        })?;
        let out = tokio::process::Command::new("prlimit")
            .arg(format!("--cpu={}", self.cpu_seconds))
            .arg(format!("--as={}", self.memory_bytes))
            .arg("--")
            .arg("qemu-img")
            .args(["convert", "-q", "-f", from, "-O", &self.format])
            .arg(&input.0)
            .arg(&output.0)
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| {
                ImageError::UnsupportedMedia(Reason::ConversionFailed {
                    why: format!("qemu-img cannot run ({e})"),
                })
            })?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(ImageError::UnsupportedMedia(Reason::ConversionFailed {
                why: format!(
                    "qemu-img convert failed ({}): {}",
                    out.status,
                    err.trim().chars().take(300).collect::<String>()
                ),
            }));
        }
        drop(input);
        let size = tokio::fs::metadata(&output.0).await?.len();
        Ok(Converted { file: output, size })
    }
}
