//! The repository explains itself: every rule id the code, tests or README cite is defined in
//! `docs/domain.md`, and the README's links stay inside the repository and resolve.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `R-ORD-9`, `R-BO-6`, … in `text`.
fn rule_ids(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut ids = BTreeSet::new();
    for (i, _) in text.match_indices("R-") {
        let rest = &text[i + 2..];
        let area: String = rest
            .chars()
            .take_while(|c| c.is_ascii_uppercase())
            .collect();
        let after = &rest[area.len()..];
        let Some(num) = after.strip_prefix('-') else {
            continue;
        };
        let digits: String = num.chars().take_while(|c| c.is_ascii_digit()).collect();
        let starts_word = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if starts_word && !area.is_empty() && !digits.is_empty() {
            ids.insert(format!("R-{area}-{digits}"));
        }
    }
    ids
}

#[test]
fn every_rule_id_cited_is_defined_in_docs_domain_md() {
    let root = root();
    let mut sources = vec![];
    for dir in ["api", "entity", "migration", "tests"] {
        files(&root.join(dir), &mut sources);
    }
    sources.push(root.join("README.md"));
    sources.push(root.join("docs/architecture.md"));
    let domain = std::fs::read_to_string(root.join("docs/domain.md")).unwrap();
    let mut missing = BTreeSet::new();
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for id in rule_ids(&text) {
            if !domain.contains(&format!("**{id}**")) {
                missing.insert(format!("{id} ({})", path.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "rule ids without a definition: {missing:?}"
    );
}

#[test]
fn the_readme_links_only_inside_the_repository() {
    let root = root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        !readme.contains("../"),
        "the README points outside the repository"
    );
    for (i, _) in readme.match_indices("](") {
        let target: String = readme[i + 2..].chars().take_while(|c| *c != ')').collect();
        if target.starts_with("http") || target.starts_with('#') {
            continue;
        }
        let path = target.split('#').next().unwrap();
        assert!(
            root.join(path).exists(),
            "README links to {target}, which is not in the repository"
        );
    }
}

#[test]
fn rule_ids_are_found_in_text() {
    let ids = rule_ids("see R-ORD-9 and (R-BO-6), not XR-A-1 nor R-x-1");
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        vec!["R-BO-6", "R-ORD-9"]
    );
}
