#[test]
fn show() {
    for y in ["not-prometheus:\n", "scrape_configs:\n  - job_name: a\n    scrape_interval: 1x\n", "scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: hashmod\n        target_label: x\n", "global:\n  scrape_interval: [1]\n"] {
        println!("{}", obslab_scrape::config::load_str(y).unwrap_err());
    }
}
