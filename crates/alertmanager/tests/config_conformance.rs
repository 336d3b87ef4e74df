//! Loads every upstream `alertmanager.yml` test file and checks that it loads, or fails with
//! Alertmanager's error text. Files that pass are recorded in `config_passing.txt`; a recorded
//! file that stops passing fails the test, so the score only goes up.

use obslab_alertmanager::config::load_file;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Files that must fail, with (a part of) the error they must produce.
const MUST_FAIL: &[(&str, &str)] = &[
    (
        "conf.sns-invalid.yml",
        "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config",
    ),
    (
        "conf.opsgenie-default-apikey-old-team.yml",
        "field teams not found in type opsgenie.plain",
    ),
    (
        "conf.opsgenie-both-file-and-apikey.yml",
        "at most one of opsgenie_api_key & opsgenie_api_key_file must be configured",
    ),
    (
        "conf.opsgenie-no-apikey.yml",
        "no global OpsGenie API Key set either inline or in a file",
    ),
    (
        "conf.victorops-both-file-and-apikey.yml",
        "at most one of victorops_api_key & victorops_api_key_file must be configured",
    ),
    ("conf.victorops-no-apikey.yml", "no global VictorOps API Key set"),
    (
        "conf.telegram-both-bot-token-and-file.yml",
        "at most one of telegram_bot_token & telegram_bot_token_file must be configured",
    ),
    (
        "conf.telegram-valid-receiver-both-bot-token-and-file.yml",
        "at most one of telegram_bot_token & telegram_bot_token_file must be configured",
    ),
    (
        "conf.telegram-no-bot-token.yml",
        "missing bot_token or bot_token_file on telegram_config",
    ),
    (
        "conf.slack-both-file-and-url.yml",
        "at most one of slack_api_url & slack_api_url_file must be configured",
    ),
    (
        "conf.slack-both-file-and-token.yml",
        "at most one of slack_app_token & slack_app_token_file must be configured",
    ),
    (
        "conf.slack-both-url-and-token.yml",
        "at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured",
    ),
    (
        "conf.slack-no-api-url-or-token.yml",
        "no Slack API URL nor App token set either inline or in a file",
    ),
    (
        "conf.slack-update-message-and-webhook.yml",
        "update_message can only be used with bot tokens. api_url must be set to https://slack.com/api/chat.postMessage",
    ),
    (
        "conf.smtp-both-password-and-file.yml",
        "at most one of smtp_auth_password & smtp_auth_password_file must be configured",
    ),
    (
        "conf.wechat-both-file-and-secret.yml",
        "at most one of wechat_api_secret & wechat_api_secret_file must be configured",
    ),
    (
        "conf.wechat-no-api-secret.yml",
        "no global Wechat Api Secret set either inline or in a file",
    ),
    (
        "conf.rocketchat-both-token-and-tokenfile.yml",
        "at most one of rocketchat_token & rocketchat_token_file must be configured",
    ),
    (
        "conf.rocketchat-both-tokenid-and-tokenidfile.yml",
        "at most one of rocketchat_token_id & rocketchat_token_id_file must be configured",
    ),
    (
        "conf.rocketchat-no-token.yml",
        "no global Rocketchat Token set either inline or in a file",
    ),
    (
        "conf.mattermost-both-webhook-url-and-file.yml",
        "at most one of mattermost_webhook_url & mattermost_webhook_url_file must be configured",
    ),
    (
        "conf.mattermost-valid-receiver-both-webhook-url-and-file.yml",
        "at most one of mattermost_webhook_url & mattermost_webhook_url_file must be configured",
    ),
    (
        "conf.mattermost-no-webhook-url.yml",
        "missing webhook_url or webhook_url_file on mattermost_config",
    ),
    ("conf.nil-match_re-route.yml", "invalid_label"),
    ("conf.nil-source_match_re-inhibition.yml", "invalid_source_label"),
    ("conf.nil-target_match_re-inhibition.yml", "invalid_target_label"),
    ("conf.bad.yml", ""),
];

/// Other upstream configs that must load.
const EXTRA: &[&str] = &[
    "alertmanager/cli/testdata/conf.good.yml",
    "alertmanager/cli/testdata/conf.bad.yml",
    "alertmanager/cli/testdata/conf.routing.yml",
    "alertmanager/cli/testdata/conf.routing-reverted.yml",
    "alertmanager/doc/examples/simple.yml",
    "alertmanager/doc/examples/route_labels.yml",
    "alertmanager/examples/ha/alertmanager.yml",
];

fn check(path: &Path) -> Result<(), String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let result = load_file(path);
    match (MUST_FAIL.iter().find(|(f, _)| *f == name), result) {
        (None, Ok(_)) => Ok(()),
        (None, Err(e)) => Err(format!("should load, got: {e}")),
        (Some((_, want)), Err(e)) if e.to_string().contains(want) => Ok(()),
        (Some((_, want)), Err(e)) => Err(format!("wrong error: want {want:?}, got {e}")),
        (Some(_), Ok(_)) => Err("should fail, but loaded".into()),
    }
}

#[test]
fn upstream_config_files() {
    let base = obslab_testkit::conformance_dir();
    let dir = base.join("alertmanager/config/testdata");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    files.extend(EXTRA.iter().map(|p| base.join(p)));

    let mut passing = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(&base).unwrap().display().to_string();
        match check(f) {
            Ok(()) => {
                passing.insert(rel);
            }
            Err(e) => println!("FAIL {rel}: {e}"),
        }
    }
    println!("alertmanager config: {}/{}", passing.len(), files.len());

    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config_passing.txt");
    let known: BTreeSet<String> = std::fs::read_to_string(&list)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect();
    let lost: Vec<_> = known.difference(&passing).collect();
    assert!(lost.is_empty(), "previously passing files now fail: {lost:?}");
    if passing.len() > known.len() {
        let text: String = passing.iter().map(|p| format!("{p}\n")).collect();
        std::fs::write(&list, text).unwrap();
    }
}
