//! prometheus.yml and file-SD inputs from upstream: each must load or fail as promtool says.

use std::path::PathBuf;

use obslab_scrape::config::{check_config, check_config_report, load_file};
use obslab_scrape::target::file_sd;

fn testdata(name: &str) -> PathBuf {
    obslab_testkit::conformance_dir()
        .join("prometheus-misc/cmd/promtool/testdata")
        .join(name)
}

#[test]
fn good_configs_pass_check_config() {
    for f in [
        "prometheus-config.good.yml",
        "authorization_credentials_file.good.yml",
        "prometheus-aws-sd-empty-region.good.yml",
        "url_in_alert_targetgroup_with_relabel_config.good.yml",
        "url_in_scrape_targetgroup_with_relabel_config.good.yml",
        "prometheus-config.lint.yml",
        "prometheus-config.lint.too_long_scrape_interval.yml",
    ] {
        if let Err(e) = check_config(testdata(f)) {
            panic!("{f}: {e}");
        }
    }
}

#[test]
fn bad_configs_fail_check_config_with_upstream_messages() {
    for (f, want) in [
        ("prometheus-config.bad.yml", "not-prometheus"),
        (
            "authorization_credentials_file.bad.yml",
            "error checking authorization credentials or bearer token file \"/random/file/which/does/not/exist.yml\": stat /random/file/which/does/not/exist.yml: no such file or directory",
        ),
        (
            "url_in_scrape_targetgroup_with_relabel_config.bad.yml",
            "\"http://bad\" is not a valid hostname",
        ),
        (
            "url_in_alert_targetgroup_with_relabel_config.bad.yml",
            "\"http://bad\" is not a valid hostname",
        ),
        (
            "config_with_rule_files.yml",
            "non-existent-file.yml\" does not point to an existing file",
        ),
        ("config_with_tls_files.yml", "error checking client cert file"),
    ] {
        match check_config(testdata(f)) {
            Ok(_) => panic!("{f} loaded but must fail"),
            Err(e) => assert!(e.to_string().contains(want), "{f}: got {e}, want {want}"),
        }
    }
}

#[test]
fn syntax_only_loading_ignores_missing_files() {
    for f in [
        "config_with_rule_files.yml",
        "config_with_tls_files.yml",
        "authorization_credentials_file.bad.yml",
        "config_with_service_discovery_files.yml",
    ] {
        if let Err(e) = load_file(testdata(f)) {
            panic!("{f}: {e}");
        }
    }
    assert!(load_file(testdata("prometheus-config.bad.yml")).is_err());
}

#[test]
fn missing_file_sd_files_are_warnings() {
    let (cfg, report) = check_config_report(testdata("config_with_service_discovery_files.yml")).unwrap();
    assert_eq!(cfg.scrape_configs[0].file_sd_configs.len(), 1);
    assert_eq!(cfg.alerting.alertmanagers[0].file_sd_configs.len(), 1);
    assert!(
        report.warnings.iter().any(|w| w.contains("nonexistent_file.yml")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn file_sd_inputs() {
    for f in ["good-sd-file.json", "good-sd-file.yaml", "good-sd-file.yml"] {
        let groups = file_sd::read_file(&testdata(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        let targets: Vec<&String> = groups.iter().flat_map(|g| &g.targets).collect();
        assert_eq!(targets, vec!["localhost:9100"], "{f}");
        assert!(
            groups
                .iter()
                .any(|g| g.labels.get("job").map(String::as_str) == Some("node")),
            "{f}"
        );
        assert!(
            groups
                .iter()
                .all(|g| g.labels.contains_key(file_sd::FILEPATH_LABEL)),
            "{f}"
        );
    }
    assert!(file_sd::read_file(&testdata("bad-sd-file-format.yml")).is_err());
    let err = file_sd::read_file(&testdata("bad-sd-file-extension.nonexistent")).unwrap_err();
    assert!(err.to_string().contains("unhandled file extension"), "{err}");
}
