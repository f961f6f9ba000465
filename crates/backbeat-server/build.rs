//! Builds the web app (`web/` at the repository root) into the binary: runs `web/build.mjs`
//! with Node.js, which bundles and compresses the app into `OUT_DIR/web` and writes the asset
//! table `src/web.rs` includes. Without Node.js or the app's npm packages (the README's
//! commands install both) the binary is built without the app and says so at `/`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// An error here fails the build with its message (a build script's way to report).
type BuildResult = Result<(), Box<dyn std::error::Error>>;

fn main() -> BuildResult {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?);
    let web = manifest.join("../../web");
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("no OUT_DIR")?).join("web");
    let table = out.join("assets.rs");
    for p in [
        "src",
        "public",
        "index.html",
        "build.mjs",
        "package-lock.json",
    ] {
        println!("cargo:rerun-if-changed={}", web.join(p).display());
    }
    // npm ci rewrites this; naming a missing file would make cargo rerun the script every time.
    let installed = web.join("node_modules/.package-lock.json");
    if installed.exists() {
        println!("cargo:rerun-if-changed={}", installed.display());
    } else {
        // Not installed yet: `web/` itself changes when `npm ci` makes `node_modules`.
        println!("cargo:rerun-if-changed={}", web.display());
    }
    println!("cargo:rerun-if-env-changed=BACKBEAT_NODE");
    std::fs::create_dir_all(&out)?;

    let node = env::var("BACKBEAT_NODE").unwrap_or_else(|_| "node".into());
    let missing = if !web.join("node_modules/esbuild").is_dir() {
        Some("web/node_modules is missing (run scripts/setup.sh)".to_string())
    } else if Command::new(&node).arg("--version").output().is_err() {
        Some(format!(
            "`{node}` (Node.js) is not installed (run scripts/setup.sh)"
        ))
    } else {
        None
    };
    if let Some(why) = missing {
        println!("cargo:warning=building without the web app: {why}");
        return write_empty(&table, &why);
    }
    let status = Command::new(&node)
        .arg(web.join("build.mjs"))
        .arg("--out")
        .arg(&out)
        .arg("--rust")
        .arg(&table)
        .status()?;
    // A broken app is a build error, like a compile error in Rust.
    if !status.success() {
        return Err(format!("web/build.mjs failed ({status}); its messages are above").into());
    }
    Ok(())
}

fn write_empty(table: &Path, why: &str) -> BuildResult {
    let text = format!(
        "// The web app was not built: {why}\npub(crate) static ASSETS: &[Asset] = &[];\n\
         pub(crate) const BUILT: bool = false;\npub(crate) const NOT_BUILT_BECAUSE: &str = {why:?};\n"
    );
    std::fs::write(table, text)?;
    Ok(())
}
