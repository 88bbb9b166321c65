//! The documentation holds together: every relative link in README.md, BENCHMARKS.md and
//! `docs/*.md` reaches a file of the repository, every `#anchor` a heading of the page it
//! names (GitHub's heading anchors), and the README stays a front door, not a manual.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::support::root;

/// The Markdown pages a user reads: the README, the benchmarks and every page of `docs/`.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md"), root().join("BENCHMARKS.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("a readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// GitHub's anchor for a heading's text (`support::slug`); a repeated anchor gets `-1`, `-2`, … .
fn slug(text: &str, seen: &mut BTreeMap<String, usize>) -> String {
    let base = crate::support::slug(text);
    let n = seen.entry(base.clone()).or_insert(0);
    let anchor = if *n == 0 { base.clone() } else { format!("{base}-{n}") };
    *n += 1;
    anchor
}

/// A page's heading anchors and its links, in order.
fn read(page: &Path) -> (BTreeSet<String>, Vec<String>) {
    let text = std::fs::read_to_string(page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
    let mut anchors = BTreeSet::new();
    let mut links = Vec::new();
    let mut seen = BTreeMap::new();
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(&text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                anchors.insert(slug(&heading.take().unwrap_or_default(), &mut seen));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            _ => {}
        }
    }
    (anchors, links)
}

#[test]
fn every_link_in_the_docs_resolves() {
    let pages = pages();
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let (own, links) = read(page);
        for link in links {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, anchor) = link.split_once('#').map_or((link.as_str(), None), |(f, a)| (f, Some(a)));
            let target = if file.is_empty() {
                page.clone()
            } else {
                page.parent().expect("a page is in a directory").join(file)
            };
            let name = format!("{}: `{link}`", page.strip_prefix(root()).unwrap_or(page).display());
            let Ok(target) = target.canonicalize() else {
                broken.push(format!("{name}: no such file"));
                continue;
            };
            assert!(target.starts_with(root().canonicalize().expect("root")), "{name} leaves the repository");
            let Some(anchor) = anchor else { continue };
            let anchors = if file.is_empty() { own.clone() } else { read(&target).0 };
            if !anchors.contains(anchor) {
                broken.push(format!("{name}: no heading with the anchor `#{anchor}`"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 20, "only {checked} links were checked: is the link extraction broken?");
}

/// The README is the front door: what genops is, the two commands, a tour and links, on one or
/// two screens. The reference lives in `docs/`, one page a topic, each linked from it.
#[test]
fn the_readme_is_short_and_links_every_reference_page() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(lines <= 250, "README.md has {lines} lines: move reference material into docs/");
    assert!(readme.contains("cargo run --release -- build examples/"), "the README's first command is gone");
    assert!(readme.contains("\ncargo test"), "the README's test command is gone");
    let (_, links) = read(&root().join("README.md"));
    for page in pages().iter().filter(|p| p.parent().is_some_and(|d| d.ends_with("docs"))) {
        let name = format!("docs/{}", page.file_name().and_then(|n| n.to_str()).unwrap_or_default());
        assert!(links.iter().any(|l| l.split('#').next() == Some(name.as_str())), "README.md does not link {name}");
    }
    // Every page starts with one top-level heading.
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("readable");
        let first = Parser::new(&text).find_map(|e| match e {
            Event::Start(Tag::Heading { level, .. }) => Some(level),
            _ => None,
        });
        assert_eq!(first, Some(HeadingLevel::H1), "{} does not start with a `# ` heading", page.display());
    }
}

#[test]
fn slugs_follow_githubs_rules() {
    let mut seen = BTreeMap::new();
    assert_eq!(
        slug("Alarms (`alarms/` and `terraform/monitoring.tf`)", &mut seen),
        "alarms-alarms-and-terraformmonitoringtf"
    );
    assert_eq!(slug("circuit_breaker", &mut seen), "circuit_breaker");
    assert_eq!(slug("Worst-case latency and cost estimates", &mut seen), "worst-case-latency-and-cost-estimates");
    assert_eq!(slug("circuit_breaker", &mut seen), "circuit_breaker-1");
}
