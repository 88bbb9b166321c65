//! The output directory is genops's alone (issue #25): a plan or a build never reads or
//! writes through a symbolic link in OUT, a linked `.genops` or staging directory is refused,
//! one build writes OUT at a time, `/` and `$HOME` are refused as OUT, and a full disk leaves a
//! fresh OUT as it was.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::plan::{copy_example, large_spec, manifest, tree, whole};
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
    change_the_spec(dir.path());

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
    change_the_spec(dir.path());
    let build = genops_in(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "victim\n", "written through a planted link");
    assert!(fs::read_to_string(out.join("terraform/logging.tf")).expect("logging.tf").contains("60"));
    assert!(!out.join("terraform/.logging.tf.genops-tmp").exists(), "a temporary file is left");
    assert!(whole(&out).is_empty(), "{:?}", whole(&out));
}

/// While a genops holds OUT's lock, another build (and a plan) says who is writing and changes
/// nothing.
#[cfg(target_os = "linux")]
#[test]
fn a_build_while_another_genops_writes_says_who_and_changes_nothing() {
    let dir = copy_example("support-assistant");
    let out = dir.path().join("out");
    assert_eq!(genops_in(dir.path(), &["build", "genops.yaml", "-o", "out"]).code, 0);
    change_the_spec(dir.path());

    let lock = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(out.join(".genops/lock"))
        .expect("lock file");
    // SAFETY: flock takes a descriptor `lock` owns and an integer; the lock goes with `lock`.
    let locked = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX | libc::LOCK_NB) };
    assert_eq!(locked, 0, "the lock is free");
    fs::write(out.join(".genops/lock"), "4242\n").expect("the holder's pid");
    let before = tree(&out);
    for command in ["build", "plan"] {
        let run = genops_in(dir.path(), &[command, "genops.yaml", "-o", "out"]);
        assert_eq!(run.code, 3, "{command}: {}", run.stderr);
        assert!(run.stderr.contains("another genops (pid 4242) is writing"), "{command}: {}", run.stderr);
        assert!(tree(&out) == before, "{command} changed OUT");
    }
    drop(lock);
    let build = genops_in(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(whole(&out).is_empty());
}

/// Two builds started together into one OUT: one writes it, the other either waits its turn
/// by failing with a clear message or builds after it; OUT ends whole, with no file the
/// manifest does not list.
#[cfg(target_os = "linux")]
#[test]
fn concurrent_builds_into_one_output_leave_it_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    for round in 0..3 {
        for (i, tag) in ["a", "b"].iter().enumerate() {
            fs::write(dir.path().join(format!("spec-{i}.yaml")), large_spec(600, &format!("{tag}{round}")))
                .expect("spec");
        }
        let spawn = |spec: &str| {
            Command::new(env!("CARGO_BIN_EXE_genops"))
                .args(["build", spec, "-o", "out"])
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn genops")
        };
        let children = [spawn("spec-0.yaml"), spawn("spec-1.yaml")];
        let runs: Vec<(i32, String)> = children
            .into_iter()
            .map(|c| {
                let output = c.wait_with_output().expect("wait");
                (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
            })
            .collect();
        for (code, stderr) in &runs {
            assert!(
                // The pid is named once the other build has written it into the lock file; in
                // the moment between its lock and its pid, the message says a build may be
                // starting.
                *code == 0
                    || (*code == 3
                        && ((stderr.contains("another genops (pid ") && stderr.contains("is writing"))
                            || stderr.contains("or a build just starting"))),
                "round {round}: exit {code}: {stderr}"
            );
        }
        assert!(runs.iter().any(|(code, _)| *code == 0), "round {round}: {runs:?}");
        let out = dir.path().join("out");
        assert!(whole(&out).is_empty(), "round {round}: {:?}", whole(&out));
        let on_disk: Vec<String> = tree(&out).into_keys().filter(|p| !p.starts_with(".genops/")).collect();
        let m = manifest(&out);
        let listed: Vec<String> = m["files"].as_object().expect("files").keys().cloned().collect();
        assert_eq!(on_disk, listed, "round {round}: files the manifest does not list");
        let genops: Vec<String> = tree(&out).into_keys().filter(|p| p.starts_with(".genops/")).collect();
        assert!(genops.iter().all(|p| p == ".genops/manifest.json" || p == ".genops/lock"), "{genops:?}");
    }
}

/// `/` and `$HOME` (however they are spelled) are refused as OUT, by `plan` and `build`.
#[test]
fn the_filesystem_root_and_home_are_refused_as_the_output() {
    let home = tempfile::tempdir().expect("temp dir");
    let project = home.path().join("project");
    crate::support::copy_dir(&crate::support::root().join("examples/support-assistant"), &project);
    let home_path = home.path().to_string_lossy().into_owned();
    for (command, out) in [("build", ".."), ("plan", ".."), ("build", home_path.as_str()), ("build", "../project/..")] {
        let output = Command::new(env!("CARGO_BIN_EXE_genops"))
            .args([command, "genops.yaml", "-o", out])
            .current_dir(&project)
            .env("HOME", home.path())
            .output()
            .expect("genops runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{command} -o {out}: {stderr}");
        assert!(stderr.contains("home directory"), "{command} -o {out}: {stderr}");
        let names: Vec<_> = fs::read_dir(home.path()).expect("home").flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, ["project"], "{command} -o {out} wrote into HOME");
    }
    // `plan` first: before the refusal existed, a `build -o /` would have written into `/`.
    for command in ["plan", "build"] {
        for out in ["/", "/.", "/tmp/.."] {
            let run = genops_in(&project, &[command, "genops.yaml", "-o", out]);
            assert_eq!(run.code, 3, "{command} -o {out}: {}", run.stderr);
            assert!(run.stderr.contains("filesystem root"), "{command} -o {out}: {}", run.stderr);
        }
    }
    assert!(!Path::new("/.genops").exists());
}

/// A disk that fills up at any point of a build into a fresh OUT leaves either nothing (the
/// build removes what it created) or, once files were moved into place, a whole OUT that the
/// journal describes. Swept page by page over the sizes where the build runs out of space.
#[test]
fn a_full_disk_leaves_a_fresh_output_as_it_was_or_whole() {
    let dir = copy_example("support-assistant");
    let disk = dir.path().join("disk");
    let page = 4096;
    let build = |pages: usize| -> Option<Run> {
        let _mounted = Tmpfs::mount(&disk, pages * page)?;
        let run = genops_in(dir.path(), &["build", "genops.yaml", "-o", "disk/out"]);
        let out = disk.join("out");
        if run.code != 0 {
            assert_eq!(run.code, 3, "{pages} pages: {}", run.stderr);
            assert!(run.stderr.contains("No space left on device"), "{pages} pages: {}", run.stderr);
            if out.join(".genops/manifest.json").exists() {
                assert!(whole(&out).is_empty(), "{pages} pages: {:?}", whole(&out));
            } else {
                assert!(entries(&disk).is_empty(), "{pages} pages: left behind {:?}", entries(&disk).keys());
            }
        }
        Some(run)
    };
    let mut pages = 8;
    let enough = loop {
        let Some(run) = build(pages) else {
            eprintln!("skipped: mounting a tmpfs needs root");
            return;
        };
        if run.code == 0 {
            break pages;
        }
        assert!(pages < 4096, "no build fits in 16 MiB");
        pages += 8;
    };
    let failed = (enough.saturating_sub(16).max(1)..enough).filter(|&p| build(p).is_some_and(|r| r.code != 0)).count();
    assert!(failed > 0, "no size just under {enough} pages made the build run out of space");
}

/// Changes one thing in the support-assistant spec copied into `dir` (the trace retention), so
/// that the next build has a file to replace.
fn change_the_spec(dir: &Path) {
    let spec = dir.join("genops.yaml");
    let text = fs::read_to_string(&spec).expect("spec");
    fs::write(&spec, text.replacen("    traces: 30d ", "    traces: 60d ", 1)).expect("write");
}
