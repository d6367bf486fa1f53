//! The files flightdeck writes (the audit log, recordings, the log file,
//! caches): private to the operator, 0600 in 0700 directories whatever the
//! umask, and never written through a symbolic link planted where they
//! live. Every writer opens its file here, so no writer can forget.
//!
//! A symlink in place of the file (or of flightdeck's own directory) is
//! refused: `O_NOFOLLOW` on the file, a look before creating or tightening
//! a directory. Directories above flightdeck's own (`~/.local/state`) are
//! the user's and may be links.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode of every file flightdeck writes.
pub const FILE_MODE: u32 = 0o600;
/// Mode of every directory flightdeck makes for its files.
pub const DIR_MODE: u32 = 0o700;

/// A symbolic link where flightdeck keeps a file or a directory of its own.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} is a symbolic link: flightdeck does not write through a link where its own files live (remove it, or point --config/XDG_STATE_HOME elsewhere)",
    path.display()
)]
pub struct PlantedSymlink {
    pub path: PathBuf,
}

impl From<PlantedSymlink> for io::Error {
    fn from(e: PlantedSymlink) -> io::Error {
        io::Error::new(io::ErrorKind::PermissionDenied, e)
    }
}

fn planted(path: &Path) -> io::Error {
    PlantedSymlink {
        path: path.to_path_buf(),
    }
    .into()
}

/// Refuses `path` if it is a symbolic link; a path that is not there is fine.
pub fn refuse_symlink(path: &Path) -> Result<(), PlantedSymlink> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(PlantedSymlink {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// The first of `paths` that is a symbolic link: checked when a run
/// starts, so a planted link is said plainly (exit 2) before anything is
/// written, and again by every open below.
pub fn refuse_symlinks<'a>(
    paths: impl IntoIterator<Item = &'a Path>,
) -> Result<(), PlantedSymlink> {
    paths.into_iter().try_for_each(refuse_symlink)
}

/// Makes `dir` (and what is missing above it) with mode 0700, and refuses
/// it if it is a link. A directory that is there is left as it is: it may
/// be the operator's own (`--record ~/incidents/x.jsonl`); flightdeck's own
/// are tightened by [`tighten_dir`].
pub fn private_dir(dir: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(planted(dir)),
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} is not a directory", dir.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir),
        Err(e) => Err(e),
    }
}

/// Takes the group's and others' rights away from one of flightdeck's own
/// directories (the state directory, its recordings and cache) that an
/// older version made from the umask. Never for a directory the operator
/// named: only flightdeck's own are passed here. A link is refused; a
/// directory that is not there is left for [`open`] to make.
pub fn tighten_dir(dir: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(planted(dir)),
        Ok(m) if m.is_dir() && m.permissions().mode() & 0o077 != 0 => {
            std::fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
        }
        _ => Ok(()),
    }
}

/// How [`open`] treats a file that is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Append to it (the audit log, the log file).
    Append,
    /// Replace it (`--record FILE`).
    Truncate,
    /// Refuse it: the file must be new (a recording of its own).
    New,
}

/// Opens `path` for writing, 0600, in a private directory, never through
/// a link; a file an older version left readable to others is tightened.
pub fn open(path: &Path, mode: Mode) -> io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir(dir)?;
    }
    let mut options = OpenOptions::new();
    options
        .write(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    match mode {
        Mode::Append => options.append(true).create(true),
        Mode::Truncate => options.truncate(true).create(true),
        Mode::New => options.create_new(true),
    };
    let file = options.open(path).map_err(|e| {
        // ELOOP: O_NOFOLLOW met a link; EEXIST from O_EXCL may be one too.
        let link = e.raw_os_error() == Some(libc::ELOOP)
            || (e.kind() == io::ErrorKind::AlreadyExists && refuse_symlink(path).is_err());
        if link { planted(path) } else { e }
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        file.set_permissions(Permissions::from_mode(FILE_MODE))?;
    }
    Ok(file)
}

/// Reads `path` whole when it is a regular file of at most `max` bytes,
/// never through a link; `None` when there is no file.
pub fn read_bounded(path: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(planted(path)),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is not a regular file of at most {max} bytes",
                path.display()
            ),
        ));
    }
    let mut bytes = Vec::new();
    file.take(max).read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Writes `bytes` to `path` whole or not at all: a private temporary file
/// beside it, synced, then renamed over it (a link at `path` is replaced,
/// never followed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let written = open(&tmp, Mode::New).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_data()
    });
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// `name` as a part of one file's name: every byte but letters, digits,
/// `-`, `_` and a lone `.` written `%XX`, so no name (an environment's,
/// which discovery takes from AWS: `../x`, control characters) reaches
/// outside its directory or shares a file with another name.
pub fn file_part(name: &str) -> String {
    let mut part = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_')
            || (b == b'.' && !part.ends_with('.'))
        {
            part.push(char::from(b));
        } else {
            part.push_str(&format!("%{b:02X}"));
        }
    }
    part
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_directories_are_private_whatever_the_umask_made_before() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state/flightdeck");
        let file = dir.join("audit.jsonl");
        let mut f = open(&file, Mode::Append).unwrap();
        f.write_all(b"x\n").unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
        // What an older version left world-readable is tightened: the
        // file when opened, flightdeck's own directory by `tighten_dir`.
        std::fs::set_permissions(&dir, Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&file, Permissions::from_mode(0o644)).unwrap();
        drop(open(&file, Mode::Append).unwrap());
        assert_eq!((mode(&dir), mode(&file)), (0o755, 0o600));
        tighten_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "x\n",
            "appended to, kept"
        );
    }

    #[test]
    fn a_planted_symlink_is_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let dir = tmp.path().join("flightdeck");
        private_dir(&dir).unwrap();
        let link = dir.join("audit.jsonl");
        symlink(&victim, &link).unwrap();
        for m in [Mode::Append, Mode::Truncate, Mode::New] {
            let e = open(&link, m).unwrap_err();
            assert!(e.to_string().contains("is a symbolic link"), "{m:?}: {e}");
        }
        assert!(refuse_symlinks([dir.as_path(), link.as_path()]).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        // A link in place of flightdeck's own directory.
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let linked_dir = tmp.path().join("linked");
        symlink(&elsewhere, &linked_dir).unwrap();
        assert!(open(&linked_dir.join("x.jsonl"), Mode::Append).is_err());
        assert!(std::fs::read_dir(&elsewhere).unwrap().next().is_none());
        // write_atomic replaces a link, never writes through it.
        write_atomic(&link, b"cache").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "cache");
        assert_eq!(mode(&link), 0o600);
    }

    /// A file the operator names in a directory of their own (`--record
    /// /tmp/x.jsonl`): the file is private, the directory left as it is.
    #[test]
    fn a_directory_that_is_there_is_never_changed_by_opening_a_file_in_it() {
        let tmp = tempfile::tempdir().unwrap();
        let shared = tmp.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, Permissions::from_mode(0o1777)).unwrap();
        drop(open(&shared.join("x.jsonl"), Mode::Truncate).unwrap());
        assert_eq!(
            std::fs::metadata(&shared).unwrap().permissions().mode() & 0o7777,
            0o1777
        );
        assert_eq!(mode(&shared.join("x.jsonl")), 0o600);
    }

    #[test]
    fn a_new_file_is_never_one_that_is_there() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("session.jsonl");
        drop(open(&file, Mode::New).unwrap());
        assert_eq!(
            open(&file, Mode::New).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
    }

    #[test]
    fn a_name_from_aws_stays_one_file_of_its_directory() {
        assert_eq!(file_part("prod-eu.1"), "prod-eu.1");
        assert_eq!(file_part("../../x"), ".%2E%2F.%2E%2Fx");
        assert_eq!(file_part("a\u{1b}]0;b"), "a%1B%5D0%3Bb");
        assert_ne!(file_part("a b"), file_part("a_b"));
        assert!(!file_part("..").contains(".."));
    }
}
