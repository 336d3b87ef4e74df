//! The api's task list: create, read, list, update, delete, and its validation.

#[path = "demo_support.rs"]
mod support;

use serde_json::{Value, json};
use support::*;

fn api_alone() -> (Db, Svc) {
    let db = Db::new();
    let api = Svc::start("api", &Opts::db(&db));
    (db, api)
}

fn create(api: &Svc, body: &Value) -> Value {
    let r = api.post("/api/tasks", body);
    assert!(
        matches!(r.status, 200 | 201),
        "create task {body}: {} {}",
        r.status,
        r.text()
    );
    r.json()
}

#[test]
fn tasks_crud_round_trip() {
    let (_db, api) = api_alone();
    let t = create(&api, &json!({"title": "write the report"}));
    let id = t["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("task without a numeric id: {t}"));
    assert_eq!(t["title"], "write the report");
    assert_eq!(t["done"], false, "done defaults to false: {t}");

    let r = api.get(&format!("/api/tasks/{id}"));
    assert_eq!(r.status, 200, "{}", r.text());
    let got = r.json();
    assert_eq!(got["id"].as_i64(), Some(id));
    assert_eq!(got["title"], "write the report");

    let second = create(&api, &json!({"title": "second", "done": true}));
    assert_eq!(second["done"], true);
    assert_ne!(second["id"], t["id"]);

    let r = api.get("/api/tasks");
    assert_eq!(r.status, 200);
    let all = r.json();
    let ids: Vec<i64> = list(&all, "tasks")
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .collect();
    assert!(
        ids.contains(&id) && ids.contains(&second["id"].as_i64().unwrap()),
        "{all}"
    );

    let r = api.put(
        &format!("/api/tasks/{id}"),
        &json!({"title": "report written", "done": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let upd = r.json();
    assert_eq!(upd["title"], "report written");
    assert_eq!(upd["done"], true);
    let got = api.get(&format!("/api/tasks/{id}")).json();
    assert_eq!(got["title"], "report written");
    assert_eq!(got["done"], true);

    let r = api.delete(&format!("/api/tasks/{id}"));
    assert!(matches!(r.status, 200 | 204), "delete: {} {}", r.status, r.text());
    let r = api.get(&format!("/api/tasks/{id}"));
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.is_json_error(), "{}", r.text());
    let r = api.delete(&format!("/api/tasks/{id}"));
    assert_eq!(r.status, 404, "second delete: {}", r.text());
    let r = api.get("/api/tasks").json();
    assert!(
        !list(&r, "tasks").iter().any(|t| t["id"].as_i64() == Some(id)),
        "{r}"
    );
}

#[test]
fn missing_tasks_are_404_and_non_numeric_ids_400() {
    let (_db, api) = api_alone();
    for r in [
        api.get("/api/tasks/999999"),
        api.put("/api/tasks/999999", &json!({"title": "x", "done": false})),
        api.delete("/api/tasks/999999"),
    ] {
        assert_eq!(r.status, 404, "{}", r.text());
        assert!(r.is_json_error(), "{}", r.text());
    }
    for r in [
        api.get("/api/tasks/abc"),
        api.put("/api/tasks/abc", &json!({"title": "x", "done": false})),
        api.delete("/api/tasks/abc"),
        api.get("/api/tasks/1.5"),
        api.get("/api/tasks/99999999999999999999999"),
    ] {
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.is_json_error(), "{}", r.text());
    }
    api.assert_healthy();
}

#[test]
fn task_titles_are_validated() {
    let (_db, api) = api_alone();
    let max = "t".repeat(200);
    let t = create(&api, &json!({"title": max}));
    assert_eq!(t["title"].as_str().map(str::len), Some(200));
    let id = t["id"].as_i64().unwrap();

    // Out-of-range values are 400; wrong shapes any 4xx; always a JSON error.
    let cases = [
        (json!({"title": ""}), true),
        (json!({"title": "t".repeat(201)}), true),
        (json!({"title": 5}), false),
        (json!({"title": null}), false),
        (json!({"done": true}), false),
        (json!({"title": "x", "done": "yes"}), false),
        (json!(["title"]), false),
    ];
    for (bad, exactly_400) in cases {
        for (method, r) in [
            ("POST", api.post("/api/tasks", &bad)),
            ("PUT", api.put(&format!("/api/tasks/{id}"), &bad)),
        ] {
            if exactly_400 {
                assert_eq!(r.status, 400, "{method} {bad}: {}", r.text());
            } else {
                assert!(
                    (400..500).contains(&r.status),
                    "{method} {bad}: {} {}",
                    r.status,
                    r.text()
                );
            }
            assert!(r.is_json_error(), "{method} {bad}: {}", r.text());
        }
    }
    // Nothing above changed the task.
    let got = api.get(&format!("/api/tasks/{id}")).json();
    assert_eq!(got["title"].as_str().map(str::len), Some(200));
    api.assert_healthy();
}
