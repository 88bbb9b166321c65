//! Plans and safe writes: `genops plan` against a built output directory, and `genops build`
//! refusing hand edits, keeping users' files, leaving OUT as it was on a bad spec, and leaving
//! it whole when killed mid-write.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::snapshot;
use crate::support::{Run, copy_dir, genops_in, root};

/// A copy of an example (spec, prompts, datasets) in a temporary directory, so tests may edit it.
pub(crate) fn copy_example(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&root().join("examples").join(name), dir.path());
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

fn run(dir: &Path, args: &[&str]) -> Run {
    genops_in(dir, args)
}

/// Every file under `dir`, relative path → bytes.
pub(crate) fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("inside").to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// What `OUT/.genops` holds, sorted.
fn genops_dir(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out.join(".genops"))
        .expect(".genops")
        .flatten()
        .map(|e| format!(".genops/{}", e.file_name().to_string_lossy()))
        .collect();
    names.sort();
    names
}

pub(crate) fn manifest(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join(".genops/manifest.json")).expect("manifest");
    serde_json::from_str(&text).expect("manifest JSON")
}

/// Every file the manifest lists is there with its hash; a pending file (a build interrupted
/// between renames) has one of its two hashes. Returns the problems.
pub(crate) fn whole(out: &Path) -> Vec<String> {
    let m = manifest(out);
    let mut problems = Vec::new();
    let hash_of = |rel: &str| std::fs::read_to_string(out.join(rel)).ok().map(|t| genops::conventions::sha256_hex(&t));
    for (rel, sha) in m["files"].as_object().expect("files") {
        match hash_of(rel) {
            Some(h) if h == sha.as_str().unwrap_or_default() => {}
            Some(_) => problems.push(format!("{rel}: hash differs from the manifest")),
            None => problems.push(format!("{rel}: listed in the manifest but missing")),
        }
    }
    if let Some(pending) = m["pending"].as_object() {
        for (rel, p) in pending {
            let found = hash_of(rel);
            let ok = [&p["before"], &p["after"]].iter().any(|h| found.as_deref() == h.as_str())
                || (found.is_none() && (p["before"].is_null() || p["after"].is_null()));
            if !ok {
                problems.push(format!("{rel}: pending, but neither its old nor its new contents"));
            }
        }
    }
    problems
}

#[test]
fn build_then_plan_shows_no_changes_and_the_manifest_is_exact() {
    let dir = copy_example("support-assistant");
    let first = run(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains("new, 0 changed, 0 removed"), "{}", first.stderr);

    let plan = run(dir.path(), &["plan", "genops.yaml", "-o", "out", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert_eq!(plan.stdout, "No changes.\n");

    let again = run(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(again.code, 0);
    assert!(again.stderr.contains("is up to date"), "{}", again.stderr);

    let out = dir.path().join("out");
    let m = manifest(&out);
    assert_eq!(m["format_version"], 1);
    assert_eq!(m["genops_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["model"]["routes"]["chat"]["rollout_weight"], "5%");
    assert_eq!(m["model"]["slos"]["chat-availability"]["objective"], "99.9%");
    assert!(whole(&out).is_empty(), "{:?}", whole(&out));
    let on_disk: Vec<String> = tree(&out).into_keys().filter(|p| !p.starts_with(".genops/")).collect();
    let listed: Vec<String> = m["files"].as_object().expect("files").keys().cloned().collect();
    assert_eq!(on_disk, listed, "the manifest lists exactly the generated files");

    // Deterministic and free of absolute paths: the same spec elsewhere gives the same bytes.
    let text = std::fs::read_to_string(out.join(".genops/manifest.json")).expect("manifest");
    assert!(!text.contains(&dir.path().to_string_lossy().into_owned()));
    let elsewhere = copy_example("support-assistant");
    assert_eq!(run(elsewhere.path(), &["build", "genops.yaml", "-o", "gen/out"]).code, 0);
    assert_eq!(
        std::fs::read_to_string(elsewhere.path().join("gen/out/.genops/manifest.json")).expect("manifest"),
        text
    );
}

#[test]
fn spec_changes_are_listed_in_words_and_by_address() {
    let dir = copy_example("support-assistant");
    assert_eq!(run(dir.path(), &["build", "genops.yaml", "-o", "out"]).code, 0);
    let spec = dir.path().join("genops.yaml");
    edit(&spec, "      weight: 5%", "      weight: 25%");
    edit(&spec, "sli: availability, objective: 99.9%", "sli: availability, objective: 99.95%");

    let plan = run(dir.path(), &["plan", "genops.yaml", "-o", "out", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let text = &plan.stdout;
    let semantic = text.find("route `chat`: canary weight 5% → 25%").expect("canary line");
    assert!(text.contains("slo `chat-availability`: objective 99.9% → 99.95%"), "{text}");
    let first_file = text.find("\nterraform/").or(text.find("\nalarms/")).expect("a file");
    assert!(semantic < first_file, "semantic changes come first");
    for address in [
        "~ oci_monitoring_alarm.chat_availability_budget_burn_fast",
        "~ record.genops:slo_error_budget{slo=chat-availability,",
        "-   query",
        "+   query",
        // The runbook section of the SLO, by its link anchor.
        "runbooks/slo-availability.md\n  ~ #slo-chat-availability\n",
    ] {
        assert!(text.contains(address), "no {address:?} in\n{text}");
    }
    if dir.path().join("out/gateway/litellm/config.yaml").exists() {
        assert!(text.contains("model_group.chat"), "the LiteLLM model group of the canary\n{text}");
    }
    assert!(!text.contains("oci_apigateway_deployment.help_center"), "untouched resources are not listed");
    assert!(text.trim_end().ends_with("to destroy."));

    // Without --detailed-exitcode a plan with changes still exits 0.
    assert_eq!(run(dir.path(), &["plan", "genops.yaml", "-o", "out"]).code, 0);

    let json = run(dir.path(), &["plan", "genops.yaml", "-o", "out", "--format", "json", "--detailed-exitcode"]);
    assert_eq!(json.code, 2);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON plan");
    assert_eq!(doc["format_version"], 1);
    let semantic: Vec<&str> =
        doc["semantic_changes"].as_array().expect("array").iter().filter_map(|c| c["message"].as_str()).collect();
    assert_eq!(semantic, ["route `chat`: canary weight 5% → 25%", "slo `chat-availability`: objective 99.9% → 99.95%"]);
    let changes = doc["changes"].as_array().expect("changes");
    assert!(changes.iter().all(|c| c["action"] == "update"));
    assert!(changes.iter().any(|c| c["target"] == "terraform"
        && c["address"] == "oci_monitoring_alarm.chat_availability_budget_burn_fast"
        && c["before"].as_str().is_some_and(|b| b.contains("resource \"oci_monitoring_alarm\""))
        && c["before"] != c["after"]));
}

/// The plan of a change of trace retention in the support-assistant example, after a build by
/// the binary, restricted to the Terraform target: these snapshots then move with the plan
/// formats and the Terraform target only, not with every other target's output.
fn terraform_plan_of_a_retention_change() -> genops::plan::Plan {
    use genops::plan::{Disk, Summary, manifest::Manifest};
    let dir = copy_example("support-assistant");
    assert_eq!(run(dir.path(), &["build", "genops.yaml", "-o", "out"]).code, 0);
    edit(&dir.path().join("genops.yaml"), "    traces: 30d ", "    traces: 60d ");

    let mut inputs = genops::load::MemoryFiles::default();
    for (rel, bytes) in tree(dir.path()) {
        if !rel.starts_with("out/") {
            inputs = inputs.with(&rel, bytes);
        }
    }
    let spec = std::fs::read(dir.path().join("genops.yaml")).expect("spec");
    let c = genops::compile::compile("genops.yaml", spec, &inputs);
    let system = c.system.as_ref().expect("a valid spec");
    let terraform = |path: &str| path.starts_with("terraform/");
    let artifacts: Vec<_> = genops::emit::emit(system, &c.sources).into_iter().filter(|a| terraform(&a.path)).collect();
    let out = dir.path().join("out");
    let mut manifest =
        Manifest::parse(&std::fs::read_to_string(out.join(".genops/manifest.json")).expect("manifest")).expect("parse");
    manifest.files.retain(|path, _| terraform(path));
    let files = tree(&out).into_iter().filter(|(path, _)| terraform(path)).collect();
    genops::plan::compute(&artifacts, &Summary::of(system, &c.sources), &Disk { manifest: Some(manifest), files })
}

#[test]
fn json_plan_format() {
    let plan = terraform_plan_of_a_retention_change();
    let json = genops::plan::render_json::render(&plan);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(doc["semantic_changes"][0]["message"], "compliance: traces retention 30d → 60d");
    assert_eq!(doc["summary"]["change"], 7); // six logs of the routes, the decision log
    let json = json.replace(&format!("\"{}\"", env!("CARGO_PKG_VERSION")), "\"[version]\"");
    let sha = doc["previous"]["spec_sha256"].as_str().expect("previous build");
    snapshot!("plan__json", json.replace(sha, "[spec sha256]"));
}

#[test]
fn markdown_plan() {
    let text = genops::plan::render_markdown::render(&terraform_plan_of_a_retention_change());
    assert!(text.starts_with("<!-- genops plan -->\n"));
    assert!(!text.contains("This plan was cut"));
    snapshot!("plan__markdown", text);
}

#[test]
fn hand_edited_files_are_refused_by_name_unless_forced() {
    let dir = copy_example("support-assistant");
    assert_eq!(run(dir.path(), &["build", "genops.yaml", "-o", "out"]).code, 0);
    let gateway = dir.path().join("out/terraform/gateway.tf");
    let generated = std::fs::read_to_string(&gateway).expect("gateway.tf");
    edit(&gateway, "rate_in_requests_per_second = 40\n", "rate_in_requests_per_second = 400\n");
    let edited = std::fs::read_to_string(&gateway).expect("gateway.tf");

    let plan = run(dir.path(), &["plan", "genops.yaml", "-o", "out", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2);
    assert!(plan.stdout.contains("terraform/gateway.tf: edited since genops wrote it"), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ oci_apigateway_deployment.chat"), "{}", plan.stdout);

    let refused = run(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("refusing to overwrite"), "{}", refused.stderr);
    assert!(refused.stderr.contains("terraform/gateway.tf"), "{}", refused.stderr);
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(std::fs::read_to_string(&gateway).expect("gateway.tf"), edited, "left as the user edited it");

    let forced = run(dir.path(), &["build", "genops.yaml", "-o", "out", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(std::fs::read_to_string(&gateway).expect("gateway.tf"), generated);
    assert_eq!(run(dir.path(), &["plan", "genops.yaml", "-o", "out"]).stdout, "No changes.\n");
}

#[test]
fn a_users_file_in_the_way_is_refused() {
    let dir = copy_example("support-assistant");
    std::fs::create_dir_all(dir.path().join("out/terraform")).expect("mkdir");
    std::fs::write(dir.path().join("out/terraform/gateway.tf"), "# my own gateway\n").expect("write");
    let refused = run(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("terraform/gateway.tf: not written by genops"), "{}", refused.stderr);
    assert!(!dir.path().join("out/.genops").exists(), "nothing written");
}

/// With nothing the output depends on changed (spec, prompts, datasets, override templates,
/// genops itself) and every file as the manifest lists it, `build` and `plan` check the files
/// instead of emitting; anything else falls back to emitting, so the output is never stale.
#[test]
fn unchanged_inputs_are_checked_not_emitted_again() {
    let dir = copy_example("support-assistant");
    let out = dir.path().join("out");
    assert_eq!(run(dir.path(), &["build", "genops.yaml", "-o", "out"]).code, 0);
    assert_eq!(manifest(&out)["inputs_sha256"].as_str().map(str::len), Some(64));
    let skipped = "inputs unchanged since the last build";
    let again = run(dir.path(), &["build", "genops.yaml", "-o", "out", "-v"]);
    assert!(again.stderr.contains(skipped) && again.stderr.contains("is up to date"), "{}", again.stderr);
    let plan = run(dir.path(), &["plan", "genops.yaml", "-o", "out", "-v"]);
    assert!(plan.stderr.contains(skipped), "{}", plan.stderr);
    assert_eq!(plan.stdout, "No changes.\n");

    // A generated file gone: emitted again, and only that file written.
    let before = tree(&out);
    std::fs::remove_file(out.join("runbooks/incident-data-breach.md")).expect("rm");
    let restored = run(dir.path(), &["build", "genops.yaml", "-o", "out", "-v"]);
    assert!(!restored.stderr.contains(skipped), "{}", restored.stderr);
    assert!(restored.stderr.contains("(1 new, 0 changed"), "{}", restored.stderr);
    assert!(tree(&out) == before, "the same output as before, byte for byte");

    // An override template is an input too.
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).expect("mkdir");
    std::fs::write(templates.join("incident-data-breach.md.j2"), "Call {{ system.owner }}.\n").expect("write");
    let with = run(dir.path(), &["plan", "genops.yaml", "-o", "out", "--templates", "templates", "-v"]);
    assert!(!with.stderr.contains(skipped), "{}", with.stderr);
    assert!(with.stdout.contains("runbooks/incident-data-breach.md"), "{}", with.stdout);

    // So is a prompt: its change reaches the plan (the prompt-edit test checks what it says).
    let prompt = dir.path().join("prompts/answer-2.1.0.md");
    let text = std::fs::read_to_string(&prompt).expect("prompt");
    std::fs::write(&prompt, format!("{text}\nBe brief.\n")).expect("write");
    let edited = run(dir.path(), &["plan", "genops.yaml", "-o", "out", "-v"]);
    assert!(!edited.stderr.contains(skipped), "{}", edited.stderr);
    assert_ne!(edited.stdout, "No changes.\n");
}

/// A build stages each file as it is emitted; a build that then fails (a template error) or
/// refuses (a hand-edited file) removes what it staged, and the directories it made for it.
#[test]
fn a_failed_or_refused_build_leaves_no_trace() {
    let dir = copy_example("support-assistant");
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).expect("mkdir");
    // Only the last runbook fails: the index, the other runbooks and the alarms are staged by then.
    std::fs::write(templates.join("incident-data-breach.md.j2"), "Call {{ system.ownr }}.\n").expect("write");
    let failed = run(dir.path(), &["build", "genops.yaml", "-o", "new/out", "--templates", "templates"]);
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    assert!(!dir.path().join("new").exists(), "no directory made for a build that failed");

    assert_eq!(run(dir.path(), &["build", "genops.yaml", "-o", "out"]).code, 0);
    let out = dir.path().join("out");
    edit(&dir.path().join("genops.yaml"), "    traces: 30d ", "    traces: 60d ");
    let before = tree(&out);
    let failed = run(dir.path(), &["build", "genops.yaml", "-o", "out", "--templates", "templates"]);
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    assert!(tree(&out) == before, "a failed build leaves the output as it was, byte for byte");
    assert_eq!(genops_dir(&out), [".genops/lock", ".genops/manifest.json"], "only the manifest and the lock");

    edit(&out.join("terraform/logging.tf"), "generated by genops", "generated by genops, edited by hand");
    let before = tree(&out);
    let refused = run(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("terraform/logging.tf"), "{}", refused.stderr);
    assert!(tree(&out) == before, "a refused build leaves the output as it was, byte for byte");
    assert_eq!(genops_dir(&out), [".genops/lock", ".genops/manifest.json"], "only the manifest and the lock");
}

#[test]
fn users_files_survive_and_stale_generated_files_go() {
    let dir = copy_example("support-assistant");
    let out = dir.path().join("out");
    assert_eq!(run(dir.path(), &["build", "genops.yaml", "-o", "out"]).code, 0);
    let mine = [("terraform/terraform.tfvars", "region = \"eu-frankfurt-1\"\n"), ("NOTES.md", "# ours\n")];
    for (rel, text) in mine {
        std::fs::write(out.join(rel), text).expect("write");
    }
    std::fs::create_dir_all(out.join("terraform/.terraform")).expect("mkdir");
    std::fs::write(out.join("terraform/.terraform/state"), "x").expect("write");

    // Without the cost SLOs, the runbook of their kind is no longer produced: it goes.
    let spec = dir.path().join("genops.yaml");
    let text = std::fs::read_to_string(&spec).expect("spec");
    let kept: Vec<&str> = text.lines().filter(|l| !l.contains("sli: cost_per_query")).collect();
    assert_eq!(text.lines().count() - kept.len(), 3, "the example has three cost SLOs");
    std::fs::write(&spec, kept.join("\n") + "\n").expect("write");

    let plan = run(dir.path(), &["plan", "genops.yaml", "-o", "out"]);
    assert!(plan.stdout.contains("runbooks/slo-cost-per-query.md"), "{}", plan.stdout);
    assert!(plan.stdout.contains("slo `help-center-cost` removed"), "{}", plan.stdout);
    let build = run(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(!out.join("runbooks/slo-cost-per-query.md").exists());
    for (rel, text) in mine {
        assert_eq!(std::fs::read_to_string(out.join(rel)).expect("user file"), text);
    }
    assert!(out.join("terraform/.terraform/state").exists());
    assert!(manifest(&out)["files"].get("runbooks/slo-cost-per-query.md").is_none());
    assert!(whole(&out).is_empty());
}

#[test]
fn an_invalid_spec_leaves_the_output_untouched() {
    let dir = copy_example("support-assistant");
    let out = dir.path().join("out");
    assert_eq!(run(dir.path(), &["build", "genops.yaml", "-o", "out"]).code, 0);
    let before = tree(&out);
    edit(&dir.path().join("genops.yaml"), "    model: llama-70b\n", "    model: llama-7b\n");
    let build = run(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(build.code, 1);
    assert!(build.stderr.contains("GO0201"), "{}", build.stderr);
    assert_eq!(tree(&out), before);
    let plan = run(dir.path(), &["plan", "genops.yaml", "-o", "out", "--detailed-exitcode"]);
    assert_eq!(plan.code, 1);
    assert!(plan.stdout.is_empty());
    // Nothing is created for a bad spec either.
    assert_eq!(run(dir.path(), &["build", "genops.yaml", "-o", "new-out"]).code, 1);
    assert!(!dir.path().join("new-out").exists());
}

#[test]
fn a_prompt_edited_without_a_version_bump_is_reported() {
    let dir = copy_example("support-assistant");
    assert_eq!(run(dir.path(), &["build", "genops.yaml", "-o", "out"]).code, 0);
    let prompt = dir.path().join("prompts/answer-2.1.0.md");
    let text = std::fs::read_to_string(&prompt).expect("prompt");
    std::fs::write(&prompt, format!("{text}\nAlways answer in French.\n")).expect("write");

    let plan = run(dir.path(), &["plan", "genops.yaml", "-o", "out", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2);
    assert!(plan.stdout.contains("! prompt `answer`: file changed without a version bump"), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ oci_objectstorage_object.prompt_answer\n"), "{}", plan.stdout);
    let json = run(dir.path(), &["plan", "genops.yaml", "-o", "out", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["semantic_changes"][0]["warning"], true);
    assert_eq!(doc["semantic_changes"][0]["note"], "file changed without a version bump");

    let build = run(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(build.code, 0);
    assert!(build.stderr.contains("warning: prompt `answer`: file changed without a version bump"), "{}", build.stderr);

    // With the bump, the plan says what kind of version change it is.
    edit(&dir.path().join("genops.yaml"), "    version: 2.1.0\n", "    version: 2.2.0-rc.1\n");
    let plan = run(dir.path(), &["plan", "genops.yaml", "-o", "out"]);
    assert!(plan.stdout.contains("~ prompt `answer`: 2.1.0 → 2.2.0-rc.1 (minor)"), "{}", plan.stdout);
    // One resource per prompt: the new version changes it, the old version is not destroyed.
    assert!(plan.stdout.contains("~ oci_objectstorage_object.prompt_answer\n"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("- oci_objectstorage_object"), "{}", plan.stdout);
}

#[test]
fn plan_of_an_empty_output_and_io_errors() {
    let dir = copy_example("coding-assistant");
    let plan = run(dir.path(), &["plan", "genops.yaml", "-o", "never-built", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert!(plan.stdout.contains("no earlier build"), "{}", plan.stdout);
    assert!(!dir.path().join("never-built").exists(), "plan writes nothing");
    std::fs::write(dir.path().join("a-file"), "x").expect("write");
    for command in ["plan", "build"] {
        let run = run(dir.path(), &[command, "genops.yaml", "-o", "a-file"]);
        assert_eq!(run.code, 3, "{command}: {}", run.stderr);
        assert!(run.stderr.contains("not a directory"), "{}", run.stderr);
    }
    std::fs::create_dir_all(dir.path().join("bad/.genops")).expect("mkdir");
    std::fs::write(
        dir.path().join("bad/.genops/manifest.json"),
        "{\"format_version\": 1, \"files\": {\"../../x\": \"0\"}}",
    )
    .expect("write");
    let run = run(dir.path(), &["build", "genops.yaml", "-o", "bad"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("not a relative path inside the output directory"), "{}", run.stderr);
}

/// A valid spec with `routes` routes (29 MB of output for 3,000); `tag` changes every
/// Terraform file.
pub(crate) fn large_spec(routes: usize, tag: &str) -> String {
    let mut spec = format!(
        "version: genops/v1\nsystem:\n  name: big-system\n  owner: platform\n  region: us-chicago-1\n  currency: USD\n  tags: {{ run: {tag} }}\nmodels:\n  command-r:\n    provider: oci-genai\n    id: cohere.command-r-08-2024\n    serving: on-demand\n    price: {{ input_per_1k: 0.00015, output_per_1k: 0.0006 }}\nroutes:\n"
    );
    for i in 0..routes {
        spec.push_str(&format!(
            "  r{i}:\n    path: /v1/r{i}\n    data_class: internal\n    model: command-r\n    timeout: 8s\n    rate_limit: {{ per_second: 10 }}\n    traffic: {{ per_day: 100, input_tokens: 100, output_tokens: 50 }}\n"
        ));
    }
    spec
}

/// A build takes its largest files (Terraform, LiteLLM, OpenSLO) in parts of a megabyte while
/// they are made, comparing each part with OUT and staging only what changes: whatever OUT
/// held before — nothing, files that differ from a middle or a late part on, longer or shorter
/// files, or the same files — the output is byte for byte what a build into an empty
/// directory writes.
#[test]
fn a_build_over_an_older_output_writes_what_a_fresh_build_writes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let synth = Command::new(env!("CARGO_BIN_EXE_genops-synth"))
        .args(["400", &dir.path().to_string_lossy()])
        .output()
        .expect("genops-synth runs");
    assert!(synth.status.success(), "{}", String::from_utf8_lossy(&synth.stderr));
    let spec = dir.path().join("genops.yaml");
    let build = |out: &str| {
        let run = run(dir.path(), &["build", "genops.yaml", "-o", out]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stderr
    };
    build("out");
    let monitoring = std::fs::metadata(dir.path().join("out/terraform/monitoring.tf")).expect("monitoring.tf").len();
    assert!(monitoring > 2 << 20, "monitoring.tf is several parts long ({monitoring} bytes)");
    let steps = [
        // The alarms, SLOs and routes change from the middle of their files on, and grow.
        (
            "route-200-availability: { route: route-200, sli: availability, objective: 99.5%",
            "route-200-availability: { route: route-200, sli: availability, objective: 99.95%",
        ),
        ("path: /v1/team-4/route-200\n", "path: /v1/team-4/route-200-moved\n"),
        // They change near their end, and shrink.
        (
            "route-399-latency: { route: route-399, sli: latency, percentile: 95, threshold: 12s",
            "route-399-latency: { route: route-399, sli: latency, percentile: 95, threshold: 10s",
        ),
        ("path: /v1/team-7/route-399\n", "path: /v1/r\n"),
        // Only a YAML comment: every file is emitted again, compared part by part, and stays.
        ("owner: ai-platform\n", "owner: ai-platform  # owned\n"),
    ];
    for (from, to) in steps {
        edit(&spec, from, to);
        build("out");
        std::fs::remove_dir_all(dir.path().join("fresh")).ok();
        build("fresh");
        assert!(
            tree(&dir.path().join("out")) == tree(&dir.path().join("fresh")),
            "after {to:?}: not what a fresh build writes"
        );
        assert!(whole(&dir.path().join("out")).is_empty());
    }
}

/// Routes fill their network's API gateways 20 at a time in spec order: a route inserted at
/// the top moves the 20th and the 40th to the next gateway. The plan says so, as a warning,
/// and shows their deployments' `gateway_id` change.
#[test]
fn a_route_that_moves_to_another_api_gateway_is_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("genops.yaml");
    std::fs::write(&spec, large_spec(45, "a")).expect("spec");
    assert_eq!(run(dir.path(), &["build", "genops.yaml", "-o", "out"]).code, 0);
    let first = "  first:\n    path: /v1/first\n    data_class: internal\n    model: command-r\n    timeout: 8s\n    rate_limit: { per_second: 10 }\n    traffic: { per_day: 100, input_tokens: 100, output_tokens: 50 }\n";
    edit(&spec, "routes:\n", &format!("routes:\n{first}"));
    let plan = run(dir.path(), &["plan", "genops.yaml", "-o", "out"]);
    let note = "(Terraform replaces its deployment on the other gateway: its URL's host changes)";
    for (route, from, to) in [("r19", "private", "private_2"), ("r39", "private_2", "private_3")] {
        let line = format!("! route `{route}`: api gateway {from} → {to} {note}");
        assert!(plan.stdout.contains(&line), "no {line:?} in\n{}", plan.stdout);
        assert!(plan.stdout.contains(&format!("~ oci_apigateway_deployment.{route}\n")), "{}", plan.stdout);
    }
    assert!(!plan.stdout.contains("route `r18`: api gateway"), "r18 stays on the first gateway");
    let build = run(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert!(build.stderr.contains("warning: route `r19`: api gateway private → private_2"), "{}", build.stderr);
}

#[test]
fn a_killed_build_leaves_the_output_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("genops.yaml");
    let out = dir.path().join("out");
    std::fs::write(&spec, large_spec(3000, "a0")).expect("spec");
    let started = Instant::now();
    let first = run(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    let full = started.elapsed();
    assert_eq!(first.code, 0, "{}", first.stderr);
    std::fs::write(out.join("terraform/terraform.tfvars"), "mine\n").expect("user file");

    let bin = PathBuf::from(env!("CARGO_BIN_EXE_genops"));
    let mut phases = Vec::new();
    for round in 0..10u32 {
        std::fs::write(&spec, large_spec(3000, &format!("a{}", round + 1))).expect("spec");
        let mut child = Command::new(&bin)
            .args(["build", "genops.yaml", "-o", "out"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn genops");
        let delay = if round < 4 {
            // While the spec is compiled and the targets rendered: a few ms to most of a build.
            let delay = Duration::from_millis(3) + full.mul_f64(f64::from(round) / 4.0);
            std::thread::sleep(delay);
            delay
        } else {
            // While files are staged and moved into place: wait for staging to start, then a
            // little longer each round.
            let start = Instant::now();
            let staging = out.join(format!(".genops/staging-{}", child.id()));
            while !staging.exists() && start.elapsed() < full * 20 && child.try_wait().ok().flatten().is_none() {
                std::thread::sleep(Duration::from_micros(200));
            }
            let extra = Duration::from_millis([0, 1, 3, 10, 30, 100][round as usize - 4]);
            std::thread::sleep(extra);
            start.elapsed()
        };
        let _ = child.kill();
        let _ = child.wait();
        let problems = whole(&out);
        assert!(problems.is_empty(), "round {round} (killed after {delay:?}): {problems:?}");
        let staging = out.join(format!(".genops/staging-{}", child.id())).exists();
        let phase = if manifest(&out).get("pending").is_some() {
            "moving files into place"
        } else if staging {
            "staging"
        } else if manifest(&out)["model"]["system"]["tags"] == format!("run=a{}", round + 1) {
            "finished"
        } else {
            "compiling"
        };
        eprintln!("round {round}: killed after {delay:?} while {phase}");
        phases.push(phase);
        assert_eq!(std::fs::read_to_string(out.join("terraform/terraform.tfvars")).expect("user file"), "mine\n");
        for rel in tree(&out).keys() {
            assert!(!rel.ends_with(".genops-tmp"), "round {round}: {rel} left behind");
        }
    }
    assert!(
        phases.iter().any(|p| *p == "staging" || *p == "moving files into place"),
        "no kill landed while writing: {phases:?}"
    );
    // The next build finishes whatever was interrupted, and cleans up after it.
    let last = run(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(last.code, 0, "{}", last.stderr);
    assert!(whole(&out).is_empty());
    assert_eq!(run(dir.path(), &["plan", "genops.yaml", "-o", "out"]).stdout, "No changes.\n");
    assert!(tree(&out).keys().all(|p| !p.contains("staging-")), "staging removed");
    assert!(manifest(&out).get("pending").is_none());
}

#[test]
fn the_markdown_plan_of_a_large_change_fits_in_a_github_comment() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("genops.yaml"), large_spec(3000, "x")).expect("spec");
    let run = run(dir.path(), &["plan", "genops.yaml", "-o", "out", "--format", "markdown", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let text = &run.stdout;
    assert!(text.chars().count() < 65_535, "{} characters", text.chars().count());
    assert!(text.contains("This plan was cut to stay under GitHub's limit"), "{}", &text[text.len() - 600..]);
    assert!(text.contains("Run `genops plan SPEC -o OUT`"));
    assert_eq!(text.matches("<details>").count(), text.matches("</details>").count());
}
