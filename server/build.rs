//! Embeds the supervisor console: console/build.mjs bundles the console into
//! console/dist (committed, so a fresh clone builds with cargo alone), and this script
//! writes `$OUT_DIR/console_files.rs`, one `include_bytes!` per file there, which
//! `src/console.rs` serves. Cargo reruns it whenever anything under console/dist changes.

use std::{
    env, fs,
    path::{Path, PathBuf},
};

fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let entries = fs::read_dir(dir).expect("console/dist is readable");
    for entry in entries {
        let path = entry.expect("console/dist is readable").path();
        if path.is_dir() {
            walk(root, &path, files);
        } else {
            let rel = path
                .strip_prefix(root)
                .expect("a file under console/dist")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((rel, path));
        }
    }
}

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dist = Path::new(&manifest).join("../console/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    if dist.is_dir() {
        walk(&dist, &dist, &mut files);
    } else {
        println!(
            "cargo:warning=console/dist is missing: /console will answer 404 (run `node console/build.mjs`)"
        );
    }
    files.sort();
    let mut out = String::from(
        "/// The console's built files: (path under console/dist, contents).\n\
         pub(crate) static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (rel, path) in files {
        let abs = fs::canonicalize(&path).expect("a file under console/dist");
        out.push_str(&format!("    ({rel:?}, include_bytes!({abs:?})),\n"));
    }
    out.push_str("];\n");
    let target = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(target.join("console_files.rs"), out).expect("OUT_DIR is writable");
}
