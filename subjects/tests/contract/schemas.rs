//! The committed JSON Schemas must match the types. Regenerate with
//! `SUBJECTS_BLESS=1 cargo test -p subjects --test contract schemas`.

use std::path::Path;

#[test]
fn committed_schemas_match_the_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let bless = std::env::var_os("SUBJECTS_BLESS").is_some();
    let mut stale = Vec::new();
    for (path, schema) in subjects::schema::all() {
        let file = dir.join(&path);
        let fresh = subjects::schema::render(&schema);
        if bless {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, &fresh).unwrap();
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(fresh.as_str()) {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing schemas {stale:?}: run `SUBJECTS_BLESS=1 cargo test -p subjects --test contract schemas` and commit subjects/schema/"
    );
}

#[test]
fn every_action_has_a_params_schema() {
    let paths: Vec<String> = subjects::schema::all().into_iter().map(|(p, _)| p).collect();
    for action in subjects::Action::ALL {
        assert!(paths.contains(&format!("params/{action}.json")), "no schema for {action}");
    }
}

#[test]
fn every_action_has_a_result_schema() {
    let paths: Vec<String> = subjects::schema::all().into_iter().map(|(p, _)| p).collect();
    for action in subjects::Action::ALL {
        assert!(paths.contains(&format!("results/{action}.json")), "no result schema for {action}");
    }
}
