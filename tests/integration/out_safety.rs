//! The output directory is genops's alone (issue #25): a plan or a build never reads or
//! writes through a symbolic link in OUT, and a linked `.genops` or staging directory is
//! refused.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::plan::{copy_example, whole};
use crate::support::{Run, genops_in};

const SECRET: &str = "TOP-SECRET token=ghp_not_for_a_pr_comment";

/// Every entry under `dir`, relative path → what it is: a link's target, a file's bytes, a
/// directory. Links are never followed.
fn entries(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in fs::read_dir(dir).expect("read_dir").flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(base).expect("inside").to_string_lossy().into_owned();
            let kind = fs::symlink_metadata(&path).expect("lstat").file_type();
            if kind.is_symlink() {
                out.insert(rel, format!("link to {}", fs::read_link(&path).expect("readlink").display()));
            } else if kind.is_dir() {
                out.insert(rel, "directory".into());
                walk(base, &path, out);
            } else {
                out.insert(rel, String::from_utf8_lossy(&fs::read(&path).expect("read")).into_owned());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn is_link(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// `genops ARGS…` in `dir`, killed (and failed) after a minute: a plan must not hang on a FIFO.
fn run_bounded(dir: &Path, args: &[&str]) -> Run {
    let outputs = tempfile::tempdir().expect("temp dir");
    let file = |name: &str| fs::File::create(outputs.path().join(name)).expect("output file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_genops"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(file("stdout"))
        .stderr(file("stderr"))
        .spawn()
        .expect("spawn genops");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("genops {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |name: &str| fs::read_to_string(outputs.path().join(name)).expect("output");
    Run { code: status.code().unwrap_or(-1), stdout: read("stdout"), stderr: read("stderr") }
}

/// A link at a generated path, or a linked directory on the way to one, is a conflict that
/// `plan` reports without reading what the link points to (in every format), and `build`
/// refuses; `--force` replaces a link at a file's own path with the file, and never writes
/// through a linked directory. A FIFO at a generated path is a conflict too, not a hang.
#[test]
fn plan_and_build_never_read_or_write_through_a_link_in_out() {
    let dir = copy_example("support-assistant");
    let out = dir.path().join("out");
    let first = genops_in(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let outside = tempfile::tempdir().expect("temp dir");
    let secret = outside.path().join("secret.txt");
    fs::write(&secret, format!("{SECRET}\n")).expect("write");
    // A whole file (Terraform) and a file a build takes in parts (LiteLLM), each a link.
    for rel in ["terraform/logging.tf", "gateway/litellm/config.yaml"] {
        fs::remove_file(out.join(rel)).expect("rm");
        symlink(&secret, out.join(rel)).expect("symlink");
    }
    // The runbooks, through a linked directory whose files carry the secret.
    let linked = outside.path().join("runbooks");
    fs::rename(out.join("runbooks"), &linked).expect("move the runbooks out");
    for entry in fs::read_dir(&linked).expect("runbooks").flatten() {
        let text = fs::read_to_string(entry.path()).expect("read");
        fs::write(entry.path(), format!("{text}{SECRET}\n")).expect("write");
    }
    symlink(&linked, out.join("runbooks")).expect("symlink");
    Command::new("mkfifo").arg(out.join("alarms/openslo/support-assistant.yaml.fifo")).status().expect("mkfifo");
    fs::remove_file(out.join("alarms/openslo/support-assistant.yaml")).expect("rm");
    fs::rename(
        out.join("alarms/openslo/support-assistant.yaml.fifo"),
        out.join("alarms/openslo/support-assistant.yaml"),
    )
    .expect("a FIFO at a generated path");
    let before = entries(outside.path());

    for format in ["text", "json", "markdown"] {
        let plan = run_bounded(dir.path(), &["plan", "genops.yaml", "-o", "out", "--format", format]);
        assert_eq!(plan.code, 0, "{format}: {}", plan.stderr);
        assert!(!plan.stdout.contains(SECRET), "{format}: the plan shows what a link in OUT points to");
        for rel in [
            "terraform/logging.tf",
            "gateway/litellm/config.yaml",
            "runbooks/README.md",
            "alarms/openslo/support-assistant.yaml",
        ] {
            assert!(plan.stdout.contains(rel), "{format}: {rel} is not in the plan:\n{}", plan.stdout);
        }
        assert!(plan.stdout.contains("symbolic link"), "{format}: no conflict says why:\n{}", plan.stdout);
    }
    let json = genops_in(dir.path(), &["plan", "genops.yaml", "-o", "out", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let conflicts: Vec<(&str, &str)> = doc["conflicts"]
        .as_array()
        .expect("conflicts")
        .iter()
        .map(|c| (c["file"].as_str().unwrap_or_default(), c["reason"].as_str().unwrap_or_default()))
        .collect();
    for rel in ["terraform/logging.tf", "gateway/litellm/config.yaml", "alarms/openslo/support-assistant.yaml"] {
        assert!(conflicts.contains(&(rel, "not-a-file")), "{rel}: {conflicts:?}");
    }
    assert!(conflicts.contains(&("runbooks/README.md", "not-a-file")), "{conflicts:?}");

    let refused = run_bounded(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("terraform/logging.tf"), "{}", refused.stderr);
    assert!(!refused.stderr.contains(SECRET));
    assert_eq!(entries(outside.path()), before, "nothing outside OUT changed");

    let forced = run_bounded(dir.path(), &["build", "genops.yaml", "-o", "out", "--force"]);
    assert_eq!(forced.code, 3, "a linked directory is refused even with --force: {}", forced.stderr);
    assert!(forced.stderr.contains("runbooks") && forced.stderr.contains("symbolic link"), "{}", forced.stderr);
    assert_eq!(entries(outside.path()), before, "nothing outside OUT changed");
    assert!(is_link(&out.join("terraform/logging.tf")), "nothing in OUT changed either");

    fs::remove_file(out.join("runbooks")).expect("rm the linked directory");
    let forced = run_bounded(dir.path(), &["build", "genops.yaml", "-o", "out", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(entries(outside.path()), before, "the links' targets are untouched");
    for rel in ["terraform/logging.tf", "gateway/litellm/config.yaml", "alarms/openslo/support-assistant.yaml"] {
        assert!(fs::symlink_metadata(out.join(rel)).expect("lstat").is_file(), "{rel} is a file again");
    }
    assert!(whole(&out).is_empty(), "{:?}", whole(&out));
}

/// A linked `OUT/.genops` is refused by `plan` and `build` before anything is read or written
/// through it, and so is a linked staging directory inside it: genops deletes leftover staging
/// directories, and must not delete what a link points to.
#[test]
fn a_linked_genops_directory_or_staging_directory_is_refused() {
    let dir = copy_example("support-assistant");
    let out = dir.path().join("out");
    assert_eq!(genops_in(dir.path(), &["build", "genops.yaml", "-o", "out"]).code, 0);
    let spec = dir.path().join("genops.yaml");
    let text = fs::read_to_string(&spec).expect("spec");
    fs::write(&spec, text.replacen("    traces: 30d ", "    traces: 60d ", 1)).expect("write");

    let elsewhere = tempfile::tempdir().expect("temp dir");
    fs::create_dir(elsewhere.path().join("staging-1")).expect("mkdir");
    fs::write(elsewhere.path().join("staging-1/keep.txt"), "keep me\n").expect("write");
    fs::rename(out.join(".genops/manifest.json"), elsewhere.path().join("manifest.json")).expect("move");
    fs::remove_dir_all(out.join(".genops")).expect("rm -r");
    symlink(elsewhere.path(), out.join(".genops")).expect("symlink");
    let before = entries(elsewhere.path());
    for command in ["build", "plan"] {
        let run = genops_in(dir.path(), &[command, "genops.yaml", "-o", "out"]);
        assert_eq!(run.code, 3, "{command}: {}", run.stderr);
        assert!(run.stderr.contains(".genops") && run.stderr.contains("symbolic link"), "{command}: {}", run.stderr);
        assert_eq!(entries(elsewhere.path()), before, "{command} changed what OUT/.genops points to");
    }

    fs::remove_file(out.join(".genops")).expect("rm the link");
    fs::create_dir(out.join(".genops")).expect("mkdir");
    fs::copy(elsewhere.path().join("manifest.json"), out.join(".genops/manifest.json")).expect("copy");
    symlink(elsewhere.path().join("staging-1"), out.join(".genops/staging-77")).expect("symlink");
    let run = genops_in(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("staging-77") && run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert_eq!(entries(elsewhere.path()), before, "a build deleted what a staging link points to");
}

/// A tmpfs mounted at `at` for the life of the value (the test runs as root), or `None`.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, bytes: usize) -> Option<Tmpfs> {
        fs::create_dir_all(at).expect("mkdir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(at)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then(|| Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// When part of OUT is on another filesystem (here `OUT/terraform` is a mount point), a
/// changed file is copied beside its destination, then renamed: a link planted at the
/// temporary file's name is replaced, never written through.
#[test]
fn the_copy_onto_another_filesystem_never_follows_a_planted_link() {
    let dir = copy_example("support-assistant");
    let out = dir.path().join("out");
    let Some(_mounted) = Tmpfs::mount(&out.join("terraform"), 16 << 20) else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let first = genops_in(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, "victim\n").expect("write");
    symlink(&victim, out.join("terraform/.logging.tf.genops-tmp")).expect("symlink");
    let spec = dir.path().join("genops.yaml");
    let text = fs::read_to_string(&spec).expect("spec");
    fs::write(&spec, text.replacen("    traces: 30d ", "    traces: 60d ", 1)).expect("write");
    let build = genops_in(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "victim\n", "written through a planted link");
    assert!(fs::read_to_string(out.join("terraform/logging.tf")).expect("logging.tf").contains("60"));
    assert!(!out.join("terraform/.logging.tf.genops-tmp").exists(), "a temporary file is left");
    assert!(whole(&out).is_empty(), "{:?}", whole(&out));
}
