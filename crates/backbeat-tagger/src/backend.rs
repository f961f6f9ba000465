//! Which inference engine runs the models, chosen at run time.
//!
//! - **tract** (pure Rust) always builds and always runs: it is the fallback.
//! - **ONNX Runtime** is about twice as fast per patch on x86-64 here (docs/BENCHMARKS.md,
//!   "Auto-tagging"). It is loaded at run time (`ort`'s `load-dynamic`) from the shared library
//!   of the PyPI `onnxruntime` wheel that `scripts/setup.sh` unpacks into
//!   `~/.cache/backbeat/onnxruntime/`, because `ort`'s default build downloads binaries, which
//!   fails offline.
//!
//! `auto` (the default) takes ONNX Runtime when its library loads and otherwise tags with
//! tract after a one-line notice; `ort` makes a missing or broken library an error; `tract`
//! never touches ONNX Runtime.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

/// Environment variable naming the backend: `auto`, `ort` or `tract`.
pub const BACKEND_ENV: &str = "BACKBEAT_TAGGER_BACKEND";
/// Environment variable naming the ONNX Runtime shared library (`ORT_DYLIB_PATH`, `ort`'s
/// own name for it, is read too).
pub const ORT_LIBRARY_ENV: &str = "BACKBEAT_ORT_LIBRARY";
/// What installs the ONNX Runtime library; named in every notice about it.
pub const ORT_INSTALL_COMMAND: &str = "./scripts/setup.sh";

/// The engine that runs the models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Tract,
    Ort,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Tract => "tract",
            Backend::Ort => "ort",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The engine asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// ONNX Runtime when its library loads, else tract after a one-line notice.
    #[default]
    Auto,
    /// tract only.
    Tract,
    /// ONNX Runtime only: a missing or broken library is an error.
    Ort,
}

impl fmt::Display for BackendChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Tract => "tract",
            BackendChoice::Ort => "ort",
        })
    }
}

impl FromStr for BackendChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(BackendChoice::Auto),
            "tract" => Ok(BackendChoice::Tract),
            "ort" | "onnxruntime" => Ok(BackendChoice::Ort),
            other => Err(format!(
                "tagger backend must be `auto`, `ort` or `tract`, not `{other}`"
            )),
        }
    }
}

/// How a [`crate::Tagger`] is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggerOptions {
    pub backend: BackendChoice,
    /// The ONNX Runtime shared library; `None` = [`default_ort_library`].
    pub ort_library: Option<PathBuf>,
    /// Patches per model run.
    pub batch: usize,
}

impl Default for TaggerOptions {
    fn default() -> Self {
        TaggerOptions {
            backend: BackendChoice::Auto,
            ort_library: None,
            batch: crate::Tagger::DEFAULT_BATCH,
        }
    }
}

impl TaggerOptions {
    /// The defaults with the backend from `$BACKBEAT_TAGGER_BACKEND` (unset: `auto`).
    pub fn from_env() -> Result<Self, String> {
        Self::from_backend_setting(std::env::var(BACKEND_ENV).ok().as_deref())
    }

    /// Options for a `$BACKBEAT_TAGGER_BACKEND` value (`None`: unset, which means `auto`).
    fn from_backend_setting(value: Option<&str>) -> Result<Self, String> {
        let backend = match value {
            Some(v) => v.parse().map_err(|e| format!("{BACKEND_ENV}: {e}"))?,
            None => BackendChoice::Auto,
        };
        Ok(TaggerOptions {
            backend,
            ..TaggerOptions::default()
        })
    }

    /// The library this load uses.
    pub fn ort_library(&self) -> PathBuf {
        self.ort_library.clone().unwrap_or_else(default_ort_library)
    }
}

/// Where the ONNX Runtime library is looked for: `$BACKBEAT_ORT_LIBRARY`, else
/// `$ORT_DYLIB_PATH`, else `~/.cache/backbeat/onnxruntime/libonnxruntime.so` (where
/// `scripts/setup.sh` puts it).
pub fn default_ort_library() -> PathBuf {
    for var in [ORT_LIBRARY_ENV, "ORT_DYLIB_PATH"] {
        if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
            return PathBuf::from(path);
        }
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache/backbeat/onnxruntime/libonnxruntime.so")
}

/// The one-line notice `auto` prints when it falls back to tract.
pub fn fallback_notice(reason: &str) -> String {
    format!(
        "note: tagging with tract, ONNX Runtime is unavailable ({reason}); {ORT_INSTALL_COMMAND} \
         installs it, {BACKEND_ENV}=tract silences this"
    )
}

/// Print the fallback notice on stderr, once per process (every later load would say the same).
pub(crate) fn print_fallback_notice(reason: &str) {
    static PRINTED: AtomicBool = AtomicBool::new(false);
    if !PRINTED.swap(true, Ordering::Relaxed) {
        eprintln!("{}", fallback_notice(reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse_and_print_back() {
        for c in [
            BackendChoice::Auto,
            BackendChoice::Tract,
            BackendChoice::Ort,
        ] {
            assert_eq!(c.to_string().parse::<BackendChoice>(), Ok(c));
        }
        assert_eq!(" ORT ".parse(), Ok(BackendChoice::Ort));
        assert_eq!("onnxruntime".parse(), Ok(BackendChoice::Ort));
        let err = "cuda".parse::<BackendChoice>().unwrap_err();
        assert!(err.contains("`cuda`") && err.contains("`tract`"), "{err}");
    }

    #[test]
    fn the_backend_setting_defaults_to_auto_and_a_bad_one_is_named() {
        let unset = TaggerOptions::from_backend_setting(None).unwrap();
        assert_eq!(unset.backend, BackendChoice::Auto);
        let tract = TaggerOptions::from_backend_setting(Some("tract")).unwrap();
        assert_eq!(tract.backend, BackendChoice::Tract);
        let err = TaggerOptions::from_backend_setting(Some("gpu")).unwrap_err();
        assert!(
            err.starts_with(BACKEND_ENV) && err.contains("`gpu`"),
            "{err}"
        );
    }

    #[test]
    fn the_notice_is_one_line_naming_the_reason_and_the_way_out() {
        let n = fallback_notice("no file at /x/libonnxruntime.so");
        assert!(!n.contains('\n'));
        assert!(n.contains("/x/libonnxruntime.so"));
        assert!(n.contains(ORT_INSTALL_COMMAND) && n.contains("BACKBEAT_TAGGER_BACKEND=tract"));
    }
}
