//! Build script: the identity of the genops being built, for the manifest's input fingerprint.
//!
//! In: the sources that decide what genops writes — `src/`, `targets/` (the templates compiled
//! in) and `Cargo.lock` (the exact dependencies). Out: `GENOPS_SOURCE_ID`, a 64-bit FNV-1a hash
//! of their paths and contents (line endings normalised, so a Windows checkout gives the same
//! value), in hex. Two genops binaries with the same identity write the same output for the
//! same inputs; `build` and `plan` skip emitting when the manifest recorded the same identity
//! and inputs (see `src/plan/fingerprint.rs`).

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "targets"] {
        collect(&root.join(dir), &mut files);
        println!("cargo:rerun-if-changed={dir}");
    }
    files.push(root.join("Cargo.lock"));
    println!("cargo:rerun-if-changed=Cargo.lock");
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for path in &files {
        let rel = path.strip_prefix(&root).unwrap_or(path).to_string_lossy().replace('\\', "/");
        let bytes: Vec<u8> = std::fs::read(path).unwrap_or_default().into_iter().filter(|&b| b != b'\r').collect();
        feed(rel.as_bytes());
        feed(&[0]);
        feed(&bytes);
        feed(&[0]);
    }
    println!("cargo:rustc-env=GENOPS_SOURCE_ID={hash:016x}");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}
