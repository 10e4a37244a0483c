//! Reading inputs and writing outputs safely: the one place fanout opens a file it was given.
//!
//! - [`read_input`]: only a regular file, at most [`max_input_bytes`] (64 MiB, 1 GiB for
//!   fanout's own records, unless `FANOUT_MAX_INPUT_BYTES` says otherwise), read through a
//!   bounded reader, so `/dev/zero`, a FIFO or a huge sparse file fails at once instead of
//!   hanging or filling memory; [`open_input`] is the same file as a bounded stream;
//! - [`write_output`]: never over one of the run's inputs (compared by device and inode, so a
//!   symlink or hard link is caught too), and atomically: a temporary file in the same folder,
//!   then a rename, so a failed write never leaves half a file.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{BufWriter, Read, Take, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::error::InputError;

/// The default size cap of an input file: 64 MiB.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// The default size cap of a run record fanout wrote (`report`, `replay`): 1 GiB. Records are
/// fanout's own output and grow with the run: one of 4 lanes × 100k calls is 47 MiB (77 MiB in
/// the fully pretty layout of earlier versions), of 4 × 1M calls 483 MiB (780 MiB). A record of
/// one run is read whole (its text beside the parsed lanes while they are read: 1.4 GB at the
/// peak for the 483 MiB one), a record of several runs as a stream; the cap bounds both.
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 1 << 30;

/// The environment variable that raises (or lowers) the size cap, in bytes: for every kind of
/// input, records included.
pub const MAX_INPUT_ENV: &str = "FANOUT_MAX_INPUT_BYTES";

/// The size cap of an input file: `FANOUT_MAX_INPUT_BYTES` if set to a whole number of bytes
/// (at least 1), else [`DEFAULT_MAX_INPUT_BYTES`].
pub fn max_input_bytes() -> Result<u64, InputError> {
    max_input_bytes_or(DEFAULT_MAX_INPUT_BYTES)
}

/// [`max_input_bytes`] with another default ([`DEFAULT_MAX_RECORD_BYTES`] for records).
pub fn max_input_bytes_or(default: u64) -> Result<u64, InputError> {
    match std::env::var(MAX_INPUT_ENV) {
        Err(_) => Ok(default),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(InputError::new(
                MAX_INPUT_ENV,
                format!("`{v}` is not a size in bytes"),
            )
            .hint(format!(
                "set it to a whole number of bytes, e.g. {MAX_INPUT_ENV}=268435456 for 256 MiB, or unset it for the defaults (64 MiB, 1 GiB for a record)"
            ))),
        },
    }
}

/// What the caller reads, so that messages speak of the right thing.
#[derive(Debug, Clone, Copy)]
pub struct InputKind<'a> {
    /// What a good file is, after "not": `a scenario file`, `an OpenTelemetry OTLP JSON trace`.
    pub what: &'a str,
    /// The fix for a path that does not exist.
    pub missing_hint: &'a str,
    /// The fix for a directory.
    pub dir_hint: &'a str,
    /// The fix for bytes that are not UTF-8.
    pub utf8_hint: &'a str,
}

/// `1.5 GiB`, `64 MiB`, `300 bytes`: a size for messages.
pub fn fmt_bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size {
            let v = n as f64 / size as f64;
            return if v.fract() == 0.0 {
                format!("{v:.0} {unit}")
            } else {
                format!("{v:.1} {unit}")
            };
        }
    }
    format!("{n} bytes")
}

/// What a file that is not a regular file is, for messages.
fn special_kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Reads a whole input file as UTF-8 text: a regular file of at most [`max_input_bytes`].
/// Errors name the file and the fix; none blocks (a FIFO is opened non-blocking and refused).
pub fn read_input(path: &Path, kind: InputKind<'_>) -> Result<String, InputError> {
    read_input_capped(path, kind, DEFAULT_MAX_INPUT_BYTES)
}

/// [`read_input`] with another default cap (`FANOUT_MAX_INPUT_BYTES` still decides when set).
pub fn read_input_capped(
    path: &Path,
    kind: InputKind<'_>,
    default_cap: u64,
) -> Result<String, InputError> {
    let mut input = open_input(path, kind, default_cap)?;
    let mut bytes = Vec::with_capacity(input.size as usize);
    let read = input.read_to_end(&mut bytes);
    input.check_size()?;
    read.map_err(|e| InputError::new(&input.label, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|_| {
        InputError::new(&input.label, "cannot read: the file is not UTF-8 text")
            .hint(kind.utf8_hint)
    })
}

/// An input file opened for reading: a regular file, read through a bound of one byte more
/// than the cap, so that a file that grows while it is read is never read further.
#[derive(Debug)]
pub struct BoundedInput {
    label: String,
    cap: u64,
    size: u64,
    file: Take<File>,
}

/// Reading past the cap is an error ([`std::io::ErrorKind::FileTooLarge`]): a parser reading
/// the stream stops there, and [`Self::check_size`] says what happened.
impl Read for BoundedInput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        if self.file.limit() == 0 {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        Ok(n)
    }
}

impl BoundedInput {
    /// The file's size when it was opened.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Fails if more than the cap has been read (the file grew past it while read).
    pub fn check_size(&self) -> Result<(), InputError> {
        if self.file.limit() == 0 {
            return Err(too_large(
                &self.label,
                &format!("more than {}", fmt_bytes(self.cap)),
                self.cap,
            ));
        }
        Ok(())
    }
}

fn too_large(label: &str, size: &str, cap: u64) -> InputError {
    InputError::new(
        label,
        format!(
            "is {size}, larger than the {} an input may be",
            fmt_bytes(cap)
        ),
    )
    .hint(format!(
        "check that this is the right file; to read larger files set {MAX_INPUT_ENV} to a size in bytes"
    ))
}

/// Opens an input file for reading as a stream, with every check of [`read_input`] but UTF-8
/// (the reader's to make): a regular file of at most the cap (`FANOUT_MAX_INPUT_BYTES`, else
/// `default_cap`), opened without blocking.
pub fn open_input(
    path: &Path,
    kind: InputKind<'_>,
    default_cap: u64,
) -> Result<BoundedInput, InputError> {
    let label = path.display().to_string();
    let cap = max_input_bytes_or(default_cap)?;
    let not_regular = |meta: &Metadata| {
        InputError::new(
            &label,
            format!(
                "is {}, not {}: fanout reads only regular files",
                special_kind(meta),
                kind.what
            ),
        )
        .hint("save the input to a file first, e.g. `cat SOURCE > input.json`")
    };
    // A device is refused before it is opened (opening some has effects of its own).
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
        && !meta.is_dir()
    {
        return Err(not_regular(&meta));
    }
    // O_NONBLOCK: should a FIFO be swapped in after the check, opening it for reading would
    // otherwise wait for a writer. It changes nothing for a regular file.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            let err = InputError::new(&label, format!("cannot read: {e}"));
            if e.kind() == std::io::ErrorKind::NotFound {
                err.hint(kind.missing_hint)
            } else {
                err
            }
        })?;
    // The metadata of what was opened, not of the path: nothing can be swapped in between.
    let meta = file
        .metadata()
        .map_err(|e| InputError::new(&label, format!("cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(
            InputError::new(&label, format!("is a directory, not {}", kind.what))
                .hint(kind.dir_hint),
        );
    }
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    if meta.len() > cap {
        return Err(too_large(&label, &fmt_bytes(meta.len()), cap));
    }
    clear_nonblocking(&file);
    Ok(BoundedInput {
        label,
        cap,
        size: meta.len(),
        // Bounded even if the file grows while it is read.
        file: file.take(cap + 1),
    })
}

/// Regular files ignore O_NONBLOCK, but clear it anyway so reads behave as plain reads.
fn clear_nonblocking(file: &File) {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: `fd` is an open descriptor owned by `file` for the duration of these calls.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
}

/// The regular `.{ext}` files directly in `dir`, sorted; FIFOs, devices and folders are left
/// out, and nothing is opened (the TUI's scenario picker lists these at start-up).
pub fn regular_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                // `metadata` follows symlinks: a link to a regular file is fine.
                .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The text of `path` if it is a regular file of at most `max` bytes; `None` otherwise (the
/// picker's titles: a preview, never worth a wait).
pub fn peek_text(path: &Path, max: u64) -> Option<String> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > max {
        return None;
    }
    clear_nonblocking(&file);
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > max {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// Device and inode of an existing file (following links), to tell whether two paths are one
/// file.
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Fails when `path` is one of `inputs` by any name (a symlink or hard link counts): checked
/// before a run starts, so that a mistake costs nothing, and again by [`write_output`].
pub fn refuse_overwriting(path: &Path, what: &str, inputs: &[&Path]) -> Result<(), InputError> {
    let Some(target) = identity(path) else {
        return Ok(());
    };
    match inputs.iter().find(|input| identity(input) == Some(target)) {
        Some(input) => Err(InputError::new(
            path.display().to_string(),
            format!(
                "refusing to write the {what} over the input {}",
                input.display()
            ),
        )
        .hint(format!("write the {what} to another file"))),
        None => Ok(()),
    }
}

/// Writes `contents` to `path` as `what` (`record`, `scenario`, `SVG`), refusing to write over
/// any of `inputs` (the same file by any name: a symlink or hard link counts) and atomically: a
/// temporary file in the same folder is written, flushed and renamed over `path`, so the old
/// file stays whole if anything fails.
///
/// Refusal is bad input (exit 2); a failed write is an [`InputError`] too, naming the file and
/// the fix.
pub fn write_output(
    path: &Path,
    contents: &[u8],
    what: &str,
    inputs: &[&Path],
) -> Result<(), InputError> {
    write_output_with(path, what, inputs, |w| w.write_all(contents))
}

/// [`write_output`] of what `write` writes, streamed through a buffer: a big output (the record
/// of a million calls) never has to be one string in memory. Same refusals, same atomic
/// replacement.
pub fn write_output_with(
    path: &Path,
    what: &str,
    inputs: &[&Path],
    write: impl FnOnce(&mut BufWriter<&mut File>) -> std::io::Result<()>,
) -> Result<(), InputError> {
    refuse_overwriting(path, what, inputs)?;
    let label = path.display().to_string();
    let cannot = |e: std::io::Error| {
        InputError::new(&label, format!("cannot write the {what}: {e}"))
            .hint("check that the folder exists and is writable")
    };
    // Renaming over a symlink would replace the link, not the file it points to: write to
    // where it points.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    match std::fs::metadata(&target) {
        Ok(m) if m.is_dir() => {
            return Err(InputError::new(
                &label,
                format!("cannot write the {what}: is a directory"),
            )
            .hint(format!("give a file name for the {what}")));
        }
        // `/dev/null`, `/dev/stdout`, a FIFO: written as they are. A rename would replace the
        // device node itself.
        Ok(m) if !m.is_file() => {
            return OpenOptions::new()
                .write(true)
                .open(&target)
                .and_then(|mut f| buffered(&mut f, write))
                .map_err(cannot);
        }
        _ => {}
    }
    replace_atomically(&target, |f| buffered(f, write)).map_err(cannot)
}

/// Runs `write` on a buffer over `file` and flushes it (a flush error is a write error). The
/// writer is concrete, not `dyn`: serde writes a record in a hundred million small pieces.
fn buffered(
    file: &mut File,
    write: impl FnOnce(&mut BufWriter<&mut File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, file);
    write(&mut out)?;
    out.flush()
}

/// Replaces (or creates) the regular file `target` with what `write` writes: into a temporary
/// file in the same folder, flushed to disk, then renamed over `target`. If anything fails the
/// temporary file is removed and `target` is as it was.
fn replace_atomically(
    target: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    // Dropping `tmp` on an early return deletes the temporary file.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    write(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    // Keep the permissions of a file being replaced; a new file gets 0666 less the umask, as
    // any other program's would (tempfile creates 0600).
    let mode = match std::fs::metadata(target) {
        Ok(m) => m.permissions(),
        Err(_) => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o666 & !umask())
        }
    };
    std::fs::set_permissions(tmp.path(), mode)?;
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

/// The process's umask, from `/proc/self/status` (reading it with `umask(2)` would change it
/// for a moment under the other threads); 022 when unknown.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIND: InputKind<'static> = InputKind {
        what: "a test file",
        missing_hint: "check the path",
        dir_hint: "give a file",
        utf8_hint: "save it as UTF-8",
    };

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(fmt_bytes(300), "300 bytes");
        assert_eq!(fmt_bytes(64 << 20), "64 MiB");
        assert_eq!(fmt_bytes(3 << 29), "1.5 GiB");
    }

    #[test]
    fn devices_and_fifos_are_refused_without_reading() {
        let e = read_input(Path::new("/dev/zero"), KIND).unwrap_err();
        assert!(e.message.contains("a character device"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("x.json");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_input(&fifo, KIND).unwrap_err();
        assert!(e.message.contains("FIFO"), "{e}");
        assert!(regular_files(dir.path(), "json").is_empty());
        assert_eq!(peek_text(&fifo, 100), None);
    }

    #[test]
    fn a_sparse_file_over_the_cap_fails_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.json");
        let f = File::create(&path).unwrap();
        f.set_len(5 << 30).unwrap();
        let e = read_input(&path, KIND).unwrap_err();
        assert!(
            e.message.contains("is 5 GiB, larger than the 64 MiB"),
            "{e}"
        );
        assert!(e.hint.unwrap().contains(MAX_INPUT_ENV));
    }

    #[test]
    fn an_output_never_replaces_an_input_even_through_links() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("s.json");
        std::fs::write(&input, "scenario").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        let hard = dir.path().join("hard.json");
        std::fs::hard_link(&input, &hard).unwrap();
        for out in [&input, &link, &hard] {
            let e = write_output(out, b"record", "record", &[&input]).unwrap_err();
            assert!(e.message.contains("refusing"), "{e}");
        }
        assert_eq!(std::fs::read_to_string(&input).unwrap(), "scenario");
        let out = dir.path().join("r.json");
        write_output(&out, b"record", "record", &[&input]).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "record");
        // Writing through a symlink to an output replaces the file, not the link.
        let out_link = dir.path().join("r-link.json");
        std::os::unix::fs::symlink(&out, &out_link).unwrap();
        write_output(&out_link, b"again", "record", &[&input]).unwrap();
        assert!(
            out_link
                .symlink_metadata()
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "again");
        // A device is written as it is, never replaced.
        write_output(Path::new("/dev/null"), b"x", "record", &[&input]).unwrap();
        assert!(
            std::fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
        let e = write_output(dir.path(), b"x", "record", &[]).unwrap_err();
        assert!(e.message.contains("is a directory"), "{e}");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.json");
        std::fs::write(&out, "old record").unwrap();
        // Half the bytes, then the disk fills up.
        let result = replace_atomically(&out, |f| {
            f.write_all(b"new rec")?;
            Err(std::io::Error::other("No space left on device"))
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old record");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["r.json"], "no temporary file is left behind");
        // A whole write replaces it and keeps its permissions.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_output(&out, b"new record", "record", &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new record");
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let fresh = dir.path().join("fresh.json");
        write_output(&fresh, b"x", "record", &[]).unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o666 & !umask());
    }
}
