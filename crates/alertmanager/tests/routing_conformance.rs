//! Runs the upstream routing cases (route tree matching with `continue`, inherited grouping and
//! timings, route keys, depth-first walk, amtool routing tests). Passing cases are recorded in
//! `routing_passing.txt`; a recorded case that stops passing fails the test.

use obslab_alertmanager::config::{PromDuration, RouteConfig, load_file};
use obslab_alertmanager::route::Route;
use obslab_model::Labels;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Deserialize)]
struct File {
    suites: Vec<Suite>,
}

#[derive(Deserialize)]
struct Suite {
    name: String,
    route_config_yaml: Option<String>,
    #[serde(default)]
    cases: Vec<Case>,
    expected_depth_first_walk_receivers: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Case {
    config: Option<String>,
    alert_labels: BTreeMap<String, String>,
    #[serde(default)]
    expected_matches: Vec<Expected>,
    #[serde(default)]
    expected_route_keys: Vec<String>,
    expected_receivers: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Expected {
    receiver: String,
    group_by: Vec<String>,
    group_by_all: bool,
    group_wait: PromDuration,
    group_interval: PromDuration,
    repeat_interval: PromDuration,
}

fn run_case(root: &Route, case: &Case) -> Result<(), String> {
    let labels = Labels::from_pairs(case.alert_labels.clone());
    let got = root.match_routes(&labels);
    if let Some(want) = &case.expected_receivers {
        let names: Vec<&str> = got.iter().map(|r| r.receiver.as_str()).collect();
        return if names == *want {
            Ok(())
        } else {
            Err(format!("receivers {names:?}, want {want:?}"))
        };
    }
    if got.len() != case.expected_matches.len() {
        return Err(format!(
            "{} matches, want {}",
            got.len(),
            case.expected_matches.len()
        ));
    }
    for (r, e) in got.iter().zip(&case.expected_matches) {
        let mut want_by = e.group_by.clone();
        want_by.sort();
        let actual = (
            r.receiver.as_str(),
            &r.group_by,
            r.group_by_all,
            r.group_wait,
            r.group_interval,
            r.repeat_interval,
        );
        let want = (
            e.receiver.as_str(),
            &want_by,
            e.group_by_all,
            e.group_wait.0,
            e.group_interval.0,
            e.repeat_interval.0,
        );
        if actual != want {
            return Err(format!("got {actual:?}, want {want:?}"));
        }
    }
    let keys: Vec<&str> = got.iter().map(|r| r.key()).collect();
    if !case.expected_route_keys.is_empty() && keys != case.expected_route_keys {
        return Err(format!("keys {keys:?}, want {:?}", case.expected_route_keys));
    }
    Ok(())
}

#[test]
fn upstream_routing_cases() {
    let base = obslab_testkit::conformance_dir().join("alertmanager");
    let text = std::fs::read_to_string(base.join("routing_cases.yaml")).unwrap();
    let file: File = serde_saphyr::from_str(&text).unwrap();
    let (mut passing, mut total) = (BTreeSet::new(), 0);
    for suite in &file.suites {
        let root = suite.route_config_yaml.as_ref().map(|y| {
            let cfg: RouteConfig = serde_saphyr::from_str(y).unwrap();
            Route::from_config(&cfg).unwrap()
        });
        if let (Some(root), Some(want)) = (&root, &suite.expected_depth_first_walk_receivers) {
            total += 1;
            let got: Vec<&str> = root.walk().iter().map(|r| r.receiver.as_str()).collect();
            if got == *want {
                passing.insert(format!("{} walk", suite.name));
            } else {
                println!("FAIL {} walk: {got:?}", suite.name);
            }
        }
        for (i, case) in suite.cases.iter().enumerate() {
            total += 1;
            let id = format!("{} #{i}", suite.name);
            let loaded;
            let root = match (&case.config, &root) {
                (Some(f), _) => match load_file(base.join("cli/testdata").join(f)) {
                    Ok(cfg) => {
                        loaded = Route::from_config(cfg.route.as_ref().unwrap()).unwrap();
                        &loaded
                    }
                    Err(e) => {
                        println!("FAIL {id}: {e}");
                        continue;
                    }
                },
                (None, Some(r)) => r,
                (None, None) => {
                    println!("FAIL {id}: no route tree");
                    continue;
                }
            };
            match run_case(root, case) {
                Ok(()) => {
                    passing.insert(id);
                }
                Err(e) => println!("FAIL {id}: {e}"),
            }
        }
    }
    println!("alertmanager routing: {}/{total}", passing.len());

    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/routing_passing.txt");
    let known: BTreeSet<String> = std::fs::read_to_string(&list)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect();
    let lost: Vec<_> = known.difference(&passing).collect();
    assert!(lost.is_empty(), "previously passing cases now fail: {lost:?}");
    if passing.len() > known.len() {
        let text: String = passing.iter().map(|p| format!("{p}\n")).collect();
        std::fs::write(&list, text).unwrap();
    }
}
