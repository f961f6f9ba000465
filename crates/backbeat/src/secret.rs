//! The server secret: from the configuration, or generated once into `<data_dir>/secret.key`.
//!
//! The file holds 64 hex characters (32 random bytes) and is created with mode 0600 through a
//! temporary file and a hard link, so two processes starting at once agree on one secret and
//! nobody ever reads a half-written file. The secret's bytes are the hex text itself, so
//! copying the file's content into `BACKBEAT_SECRET` yields the same keys.

use std::io::Write as _;
use std::path::Path;

use anyhow::{bail, Context as _};

use crate::config::Settings;

/// The file name inside the data directory.
pub const FILE: &str = "secret.key";

/// The configured secret, or the data directory's (created if missing).
pub fn load_or_create(config: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = &config.secret {
        return Ok(s.as_bytes().to_vec());
    }
    let path = config.data_dir.join(FILE);
    match read(&path)? {
        Some(secret) => Ok(secret),
        None => create(&path),
    }
}

/// The secret in `path`, `None` if there is no such file.
fn read(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let secret = text.trim();
    if secret.len() < 32 {
        bail!(
            "{} holds fewer than 32 characters; delete it to generate a new one",
            path.display()
        );
    }
    warn_if_readable_by_others(path);
    Ok(Some(secret.as_bytes().to_vec()))
}

fn create(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("getrandom: {e}"))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = path.with_extension(format!("tmp-{}-{}", std::process::id(), &hex[..8]));
    let result = write_private(&tmp, &hex).and_then(|()| {
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(Some(hex.as_bytes().to_vec())),
            // Another process won the race: use its secret.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
        }
    });
    let _ = std::fs::remove_file(&tmp);
    match result? {
        Some(secret) => {
            tracing::info!(path = %path.display(), "generated a new server secret");
            Ok(secret)
        }
        None => read(path)?.context("the secret file vanished while being created"),
    }
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "the secret file is readable by other users; chmod 600 it");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let config = Settings {
            data_dir: dir.path().to_path_buf(),
            ..Settings::default()
        };
        let a = load_or_create(&config).unwrap();
        assert_eq!(a.len(), 64);
        assert_eq!(load_or_create(&config).unwrap(), a);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temporary files left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let configured = Settings {
            secret: Some("s".repeat(40)),
            ..config
        };
        assert_eq!(
            load_or_create(&configured).unwrap(),
            "s".repeat(40).as_bytes()
        );
    }

    #[test]
    fn short_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), "short").unwrap();
        let config = Settings {
            data_dir: dir.path().to_path_buf(),
            ..Settings::default()
        };
        assert!(load_or_create(&config).is_err());
    }
}
