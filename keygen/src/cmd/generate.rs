//! Generating a keys file: the classic `ntp-keygen -M` and its extensions.
//!
//! Files are created with mode 0600, never over an existing file without `--force` (then by an
//! atomic rename, so a reader never sees half a file and the old permissions do not carry
//! over). The classic tool creates them under umask 027, i.e. 0640; we do not give the group
//! read access, because the group of a root-run tool is rarely one that should hold the keys.
//! The `ntp.keys` link is replaced when it is a link (no key is lost: the old file stays), and
//! refused when it is anything else unless `--force`.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context as _, bail};
use ntpkit::auth::keygen::{self, KeygenHeader, generated_len};
use ntpkit::auth::{KeyId, KeysFile};
use ntpkit::format::render_json;
use ntpkit::record::{GeneratedKey, KeygenRecord};
use ntpkit::time::{CivilTime, NtpTimestamp, UnixTime};

use super::{octal_mode, shown};
use crate::cli::{Destination, GeneratePlan, UsageError};

/// The link the classic tool makes to the newest keys file.
const LINK_NAME: &str = "ntp.keys";

/// Mode of every file we create.
const FILE_MODE: u32 = 0o600;

/// Generates the keys of `plan` and writes them where it says.
pub fn run(
    plan: &GeneratePlan,
    json: bool,
    out: &mut impl Write,
    notes: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .context("generate: the system clock is before 1970")?;
    let unix_secs =
        i64::try_from(now.as_secs()).context("generate: the system clock is out of range")?;
    let stamp = NtpTimestamp::from_unix(UnixTime {
        secs: unix_secs,
        nanos: 0,
    });
    let ntp_seconds = u32::try_from(stamp.to_bits() >> 32).unwrap_or(u32::MAX);
    let name = match &plan.ident {
        Some(name) => name.clone(),
        None => host_name().context("generate: cannot read the host name; give one with -i")?,
    };
    let classic_name = keygen::classic_file_name(&name, ntp_seconds).map_err(|e| {
        if plan.ident.is_some() {
            anyhow::Error::new(UsageError(format!("-i: {e}")))
        } else {
            anyhow::Error::new(e)
                .context("generate: the host name cannot be used; give one with -i")
        }
    })?;
    let title = match &plan.destination {
        Destination::File(path) => path.file_name().map_or_else(
            || classic_name.clone(),
            |n| n.to_string_lossy().into_owned(),
        ),
        Destination::Classic { .. } | Destination::Stdout => classic_name.clone(),
    };
    let header = KeygenHeader::new(&title, CivilTime::from_unix(unix_secs))
        .with_context(|| format!("{}: generate", title.escape_default()))?;
    let mut random = |buf: &mut [u8]| getrandom::fill(buf).map_err(io::Error::from);
    let file = keygen::generate(&plan.keys, Some(&header), &mut random).context("generate")?;
    let text = file.to_text();

    let (written, link) = match &plan.destination {
        Destination::Stdout => {
            out.write_all(text.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        Destination::File(path) => {
            write_new_file(path, text.as_bytes(), plan.force)?;
            (path.clone(), None)
        }
        Destination::Classic { dir } => {
            let link = dir.join(LINK_NAME);
            check_link_slot(&link, plan.force)?;
            let path = dir.join(&classic_name);
            write_new_file(&path, text.as_bytes(), plan.force)?;
            replace_link(&link, &classic_name)?;
            (path, Some(link))
        }
    };
    let keys_path = absolute(link.as_deref().unwrap_or(&written));
    let config = keygen::config_lines(&shown(&keys_path), &key_ids(&file), plan.admin);
    if json {
        let record = KeygenRecord {
            command: "generate",
            file: shown(&written),
            link: link.as_deref().map(shown),
            mode: octal_mode(FILE_MODE),
            keys: file
                .entries()
                .map(|e| GeneratedKey {
                    id: e.id().0,
                    key_type: e.kind().name(),
                    secret_octets: generated_len(e.kind()),
                })
                .collect(),
            config,
        };
        render_json(&record, out)?;
        return Ok(ExitCode::SUCCESS);
    }
    // The classic tool's two progress lines, on standard error as it prints them.
    match &link {
        Some(_) => {
            writeln!(notes, "Generating new md5 file and link")?;
            writeln!(notes, "{LINK_NAME}->{classic_name}")?;
        }
        None => {
            writeln!(notes, "Generating new keys file")?;
            writeln!(notes, "{}", shown(&written))?;
        }
    }
    if plan.config {
        for line in &config {
            writeln!(out, "{line}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn key_ids(file: &KeysFile) -> Vec<KeyId> {
    file.entries().map(ntpkit::auth::KeyEntry::id).collect()
}

/// The host name, as `gethostname` gives it.
fn host_name() -> io::Result<String> {
    let text = fs::read_to_string("/proc/sys/kernel/hostname")?;
    Ok(text.trim().to_owned())
}

/// `path` made absolute (through its canonical directory when it exists).
fn absolute(path: &Path) -> PathBuf {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (dir.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// Writes `bytes` to a new file at `path` with mode 0600. Without `force` an existing file is an
/// error; with it, the new file replaces the old one atomically.
fn write_new_file(path: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    let fail = |what: &str| format!("{}: generate: {what}", shown(path));
    let Some(name) = path.file_name() else {
        bail!(fail("not a file name"));
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // With --force, write beside the target and rename over it; else create the target itself,
    // which fails if anything is there.
    let target = if force {
        dir.join(format!(
            ".{}.ntp-keygen-{}",
            name.to_string_lossy(),
            std::process::id()
        ))
    } else {
        path.to_path_buf()
    };
    let mut file = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(&target)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && !force => {
            bail!(fail("already exists; use --force to replace it"));
        }
        Err(e) => return Err(e).with_context(|| fail("cannot create")),
    };
    let written = file
        .set_permissions(fs::Permissions::from_mode(FILE_MODE))
        .and_then(|()| file.write_all(bytes))
        .and_then(|()| file.sync_all());
    drop(file);
    let done = written.and_then(|()| {
        if force {
            fs::rename(&target, path)
        } else {
            Ok(())
        }
    });
    if let Err(e) = done {
        let _ = fs::remove_file(&target);
        return Err(e).with_context(|| fail("cannot write"));
    }
    Ok(())
}

/// Fails unless `link` is free, a symbolic link, or `force` allows replacing what is there.
fn check_link_slot(link: &Path, force: bool) -> anyhow::Result<()> {
    match fs::symlink_metadata(link) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("{}: generate: cannot inspect", shown(link))),
        Ok(meta) if meta.file_type().is_symlink() => Ok(()),
        Ok(meta) if meta.is_dir() => bail!("{}: generate: is a directory", shown(link)),
        Ok(_) if force => Ok(()),
        Ok(_) => bail!(
            "{}: generate: exists and is not a link (the classic tool would destroy it); use \
             --force to replace it",
            shown(link)
        ),
    }
}

/// Points `link` at `target` (a name in the same directory), replacing what is there.
fn replace_link(link: &Path, target: &str) -> anyhow::Result<()> {
    let dir = link
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = dir.join(format!(".{LINK_NAME}.ntp-keygen-{}", std::process::id()));
    let _ = fs::remove_file(&temp);
    let made = std::os::unix::fs::symlink(target, &temp).and_then(|()| fs::rename(&temp, link));
    if let Err(e) = made {
        let _ = fs::remove_file(&temp);
        return Err(e).with_context(|| format!("{}: generate: cannot make the link", shown(link)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ntp-keygen-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn new_files_are_private_and_never_clobbered() {
        let dir = temp_dir("write");
        let path = dir.join("k");
        write_new_file(&path, b"one\n", false).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600);
        let error = write_new_file(&path, b"two\n", false)
            .unwrap_err()
            .to_string();
        assert!(
            error.ends_with("k: generate: already exists; use --force to replace it"),
            "{error}"
        );
        assert_eq!(fs::read(&path).unwrap(), b"one\n");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_new_file(&path, b"two\n", true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two\n");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600, "--force does not keep the old permissions");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn links_replace_links_but_not_files() {
        let dir = temp_dir("link");
        let link = dir.join(LINK_NAME);
        check_link_slot(&link, false).unwrap();
        replace_link(&link, "a").unwrap();
        check_link_slot(&link, false).unwrap();
        replace_link(&link, "b").unwrap();
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("b"));
        fs::remove_file(&link).unwrap();
        fs::write(&link, "real keys").unwrap();
        let error = check_link_slot(&link, false).unwrap_err().to_string();
        assert!(error.contains("exists and is not a link"), "{error}");
        check_link_slot(&link, true).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }
}
