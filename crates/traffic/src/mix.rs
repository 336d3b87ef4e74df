//! The endpoint mix: which requests the generator sends and how often, from a YAML/JSON file,
//! inline `--endpoint` specs, or the default shop mix.

use crate::placeholder::{BodyTemplate, Template, TemplateError};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::Path;

/// One weighted request of the mix. Paths and string values in the body may hold
/// `{rand:a..b}` and `{pick:a|b}` placeholders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// HTTP method, `GET` when absent.
    #[serde(default = "default_method")]
    pub method: String,
    /// Path (and query) on the target, starting with `/`.
    pub path: String,
    /// Relative weight; the share of requests is weight / sum of weights.
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// JSON body, sent with `Content-Type: application/json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Label in the summary; `METHOD path` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn default_method() -> String {
    "GET".to_string()
}

fn default_weight() -> f64 {
    1.0
}

impl Endpoint {
    /// A body-less endpoint.
    pub fn new(method: &str, path: &str, weight: f64) -> Self {
        Self {
            method: method.to_string(),
            path: path.to_string(),
            weight,
            body: None,
            name: None,
        }
    }

    fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// The label used in the summary.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{} {}", self.method.to_uppercase(), self.path))
    }
}

/// A mix that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MixError {
    #[error("the endpoint mix is empty")]
    Empty,
    #[error("endpoint {label:?}: {reason}")]
    Endpoint { label: String, reason: String },
    #[error("endpoint {label:?}: {source}")]
    Template {
        label: String,
        #[source]
        source: TemplateError,
    },
    #[error(
        "invalid --endpoint {spec:?}: {reason} (expected e.g. 'GET /api/products=50' or 'POST /api/tasks=5 {{\"title\":\"t\"}}')"
    )]
    Spec { spec: String, reason: String },
    #[error("cannot read mix file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid mix file {path}: {reason}")]
    Parse { path: String, reason: String },
}

/// Parses an inline spec: `METHOD PATH[=WEIGHT] [JSON-BODY]`. The weight is whatever follows the
/// last `=` of the path when it is a number, so a path with a query string needs an explicit weight.
pub fn parse_endpoint_spec(spec: &str) -> Result<Endpoint, MixError> {
    let bad = |reason: &str| MixError::Spec {
        spec: spec.to_string(),
        reason: reason.to_string(),
    };
    let trimmed = spec.trim();
    let (method, rest) = trimmed
        .split_once(char::is_whitespace)
        .ok_or_else(|| bad("missing path"))?;
    let rest = rest.trim_start();
    let (target, body) = match rest.split_once(char::is_whitespace) {
        Some((t, b)) => (t, Some(b.trim())),
        None => (rest, None),
    };
    let (path, weight) = match target.rsplit_once('=') {
        Some((p, w)) if w.parse::<f64>().is_ok() => (p, w.parse::<f64>().unwrap_or(1.0)),
        _ => (target, 1.0),
    };
    let body = match body {
        Some(b) if !b.is_empty() => {
            Some(serde_json::from_str(b).map_err(|e| bad(&format!("body is not JSON: {e}")))?)
        }
        _ => None,
    };
    let ep = Endpoint {
        method: method.to_uppercase(),
        path: path.to_string(),
        weight,
        body,
        name: None,
    };
    check_endpoint(&ep).map_err(|e| bad(&e))?;
    Ok(ep)
}

/// Reads a mix file: a YAML or JSON list of endpoints.
pub fn load_mix_file(path: &Path) -> Result<Vec<Endpoint>, MixError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| MixError::Read {
        path: shown.clone(),
        source,
    })?;
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('[');
    let parsed: Result<Vec<Endpoint>, String> = if is_json {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        serde_saphyr::from_str(&text).map_err(|e| e.to_string())
    };
    let endpoints = parsed.map_err(|reason| MixError::Parse { path: shown, reason })?;
    CompiledMix::compile(&endpoints)?;
    Ok(endpoints)
}

/// Reasons an endpoint cannot be sent, before templates are considered.
fn check_endpoint(ep: &Endpoint) -> Result<(), String> {
    Method::from_bytes(ep.method.to_uppercase().as_bytes())
        .map_err(|_| format!("invalid HTTP method {:?}", ep.method))?;
    if !ep.path.starts_with('/') {
        return Err(format!(
            "path {:?} must start with / (requests always go to the target)",
            ep.path
        ));
    }
    if ep.path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("path {:?} contains whitespace", ep.path));
    }
    if !(ep.weight.is_finite() && ep.weight >= 0.0) {
        return Err(format!("weight {} must be a non-negative number", ep.weight));
    }
    Ok(())
}

/// Products in the demo shop's catalogue (ids 1..=16) and its customers (ids 1..=50), so that the
/// default mix views existing products and places valid orders.
pub const SHOP_PRODUCTS: u32 = 16;
pub const SHOP_CUSTOMERS: u32 = 50;

/// The shop mix sent through the gateway: mostly browsing, some product views and orders, a few
/// slow and database-heavy requests.
pub fn default_shop_mix() -> Vec<Endpoint> {
    let product = format!("{{rand:1..{SHOP_PRODUCTS}}}");
    let order = |items: Vec<Value>| {
        json!({
            "customer_id": format!("{{rand:1..{SHOP_CUSTOMERS}}}"),
            "items": items,
            "payment_method": "{pick:card|paypal|bank_transfer|gift_card}",
        })
    };
    let item = || json!({"product_id": product, "quantity": "{rand:1..3}"});
    vec![
        Endpoint::new("GET", "/", 10.0),
        Endpoint::new("GET", "/api/products", 40.0),
        Endpoint::new("GET", &format!("/api/products/{product}"), 20.0),
        Endpoint::new("GET", "/api/users", 6.0),
        Endpoint::new("GET", "/api/tasks", 5.0),
        Endpoint::new("POST", "/api/tasks", 3.0).with_body(json!({"title": "task {rand:1..10000}"})),
        Endpoint::new("POST", "/api/orders", 5.0).with_body(order(vec![item()])),
        Endpoint::new("POST", "/api/orders", 3.0).with_body(order(vec![item(), item()])),
        Endpoint::new("POST", "/api/orders", 2.0).with_body(order(vec![item(), item(), item()])),
        Endpoint::new("GET", "/api/slow", 1.0),
        Endpoint::new("GET", "/api/smoke/db", 1.0),
    ]
}

/// An endpoint ready to be expanded into requests.
#[derive(Debug, Clone)]
pub struct CompiledEndpoint {
    pub method: Method,
    pub path: Template,
    pub body: Option<BodyTemplate>,
    /// Index of the endpoint's label in [`CompiledMix::labels`].
    pub label: usize,
}

/// A validated mix with its weighted chooser.
#[derive(Debug, Clone)]
pub struct CompiledMix {
    pub endpoints: Vec<CompiledEndpoint>,
    /// Distinct labels in first-seen order (endpoints with the same label are counted together).
    pub labels: Vec<String>,
    chooser: WeightedIndex<f64>,
}

impl CompiledMix {
    /// Validates methods, paths, weights and placeholders.
    pub fn compile(mix: &[Endpoint]) -> Result<Self, MixError> {
        if mix.is_empty() {
            return Err(MixError::Empty);
        }
        let mut labels: Vec<String> = Vec::new();
        let mut endpoints = Vec::with_capacity(mix.len());
        for ep in mix {
            let label = ep.label();
            check_endpoint(ep).map_err(|reason| MixError::Endpoint {
                label: label.clone(),
                reason,
            })?;
            let template_err = |source| MixError::Template {
                label: label.clone(),
                source,
            };
            let path = Template::parse(&ep.path).map_err(template_err)?;
            let body = ep
                .body
                .as_ref()
                .map(BodyTemplate::parse)
                .transpose()
                .map_err(template_err)?;
            let method =
                Method::from_bytes(ep.method.to_uppercase().as_bytes()).map_err(|_| MixError::Endpoint {
                    label: label.clone(),
                    reason: "invalid HTTP method".into(),
                })?;
            let idx = match labels.iter().position(|l| *l == label) {
                Some(i) => i,
                None => {
                    labels.push(label);
                    labels.len() - 1
                }
            };
            endpoints.push(CompiledEndpoint {
                method,
                path,
                body,
                label: idx,
            });
        }
        let chooser = WeightedIndex::new(mix.iter().map(|e| e.weight)).map_err(|_| MixError::Endpoint {
            label: "(all)".into(),
            reason: "the weights must not all be zero".into(),
        })?;
        Ok(Self {
            endpoints,
            labels,
            chooser,
        })
    }

    /// Picks an endpoint according to the weights.
    pub fn choose(&self, rng: &mut impl Rng) -> &CompiledEndpoint {
        &self.endpoints[self.chooser.sample(rng)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn inline_specs() {
        let e = parse_endpoint_spec("GET /api/products=50").unwrap();
        assert_eq!(
            (e.method.as_str(), e.path.as_str(), e.weight),
            ("GET", "/api/products", 50.0)
        );
        let e = parse_endpoint_spec("get /x").unwrap();
        assert_eq!((e.method.as_str(), e.path.as_str(), e.weight), ("GET", "/x", 1.0));
        let e = parse_endpoint_spec("GET /p?limit=5=3").unwrap();
        assert_eq!((e.path.as_str(), e.weight), ("/p?limit=5", 3.0));
        let e = parse_endpoint_spec(r#"POST /api/tasks=2.5 {"title": "t {rand:1..3}"}"#).unwrap();
        assert_eq!(e.weight, 2.5);
        assert_eq!(e.body.unwrap()["title"], "t {rand:1..3}");
    }

    #[test]
    fn bad_inline_specs() {
        for bad in [
            "GET",
            "/api/products=5",
            "GET api/products",
            "GET http://example.com/x",
            "BAD METHOD /x",
            "GET /x=-1",
            "POST /x=1 {not json",
        ] {
            let err = parse_endpoint_spec(bad);
            assert!(err.is_err(), "{bad} should be rejected");
        }
        let err = parse_endpoint_spec("GET @evil.example/x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("must start with /"), "{err}");
    }

    #[test]
    fn yaml_and_json_files() {
        let dir = std::env::temp_dir().join(format!("obslab-mix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let yaml = dir.join("mix.yaml");
        std::fs::write(
            &yaml,
            "- {method: GET, path: /a, weight: 3}\n- path: /b/{rand:1..2}\n- method: POST\n  path: /c\n  body: {n: \"{rand:1..9}\"}\n",
        )
        .unwrap();
        let mix = load_mix_file(&yaml).unwrap();
        assert_eq!(mix.len(), 3);
        assert_eq!(mix[1].method, "GET");
        assert_eq!(mix[1].weight, 1.0);
        assert!(mix[2].body.is_some());

        let json = dir.join("mix.json");
        std::fs::write(&json, r#"[{"method":"DELETE","path":"/d","weight":2}]"#).unwrap();
        assert_eq!(load_mix_file(&json).unwrap()[0].method, "DELETE");

        std::fs::write(&yaml, "- {path: /a, wieght: 3}\n").unwrap();
        let err = load_mix_file(&yaml).unwrap_err().to_string();
        assert!(err.contains("invalid mix file"), "{err}");
        std::fs::write(&yaml, "- {path: '/a/{rand:5..1}'}\n").unwrap();
        assert!(matches!(load_mix_file(&yaml), Err(MixError::Template { .. })));
        let missing = load_mix_file(&dir.join("nope.yaml")).unwrap_err().to_string();
        assert!(missing.contains("cannot read mix file"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn readme_example_parses() {
        let readme = include_str!("../README.md");
        let start = readme.find("```yaml\n").unwrap() + 8;
        let end = start + readme[start..].find("```").unwrap();
        let mix: Vec<Endpoint> = serde_saphyr::from_str(&readme[start..end]).unwrap();
        assert_eq!(mix.len(), 3);
        assert_eq!(mix[2].label(), "place order");
        let compiled = CompiledMix::compile(&mix).unwrap();
        let body = compiled.endpoints[2]
            .body
            .as_ref()
            .unwrap()
            .expand(&mut StdRng::seed_from_u64(5));
        assert!(
            body["customer_id"].is_i64() && body["items"][0]["product_id"].is_i64(),
            "{body}"
        );
    }

    #[test]
    fn compile_rejects_empty_and_zero_weights() {
        assert!(matches!(CompiledMix::compile(&[]), Err(MixError::Empty)));
        assert!(CompiledMix::compile(&[Endpoint::new("GET", "/a", 0.0)]).is_err());
    }

    #[test]
    fn choose_follows_weights_and_merges_labels() {
        let mix = CompiledMix::compile(&[
            Endpoint::new("GET", "/a", 3.0),
            Endpoint::new("GET", "/b", 1.0),
            Endpoint::new("GET", "/a", 0.0),
        ])
        .unwrap();
        assert_eq!(mix.labels, vec!["GET /a", "GET /b"]);
        let mut rng = StdRng::seed_from_u64(1);
        let mut counts = [0usize; 2];
        for _ in 0..4000 {
            counts[mix.choose(&mut rng).label] += 1;
        }
        let share = counts[0] as f64 / 4000.0;
        assert!((0.72..0.78).contains(&share), "share of /a {share}");
    }

    #[test]
    fn default_shop_mix_is_valid_and_browse_heavy() {
        let mix = default_shop_mix();
        let compiled = CompiledMix::compile(&mix).unwrap();
        let heaviest = mix.iter().max_by(|a, b| a.weight.total_cmp(&b.weight)).unwrap();
        assert_eq!(heaviest.path, "/api/products");
        assert!(compiled.labels.contains(&"POST /api/orders".to_string()));
        let slow = mix.iter().find(|e| e.path == "/api/slow").unwrap();
        assert!(slow.weight * 20.0 <= heaviest.weight);
        let mut rng = StdRng::seed_from_u64(3);
        for ep in compiled.endpoints.iter().filter(|e| e.method == Method::POST) {
            let body = ep.body.as_ref().unwrap().expand(&mut rng);
            if let Some(items) = body.get("items") {
                let items = items.as_array().unwrap();
                assert!((1..=3).contains(&items.len()));
                for it in items {
                    assert!((1..=16).contains(&it["product_id"].as_i64().unwrap()));
                }
                assert!((1..=50).contains(&body["customer_id"].as_i64().unwrap()));
                let pm = body["payment_method"].as_str().unwrap();
                assert!(["card", "paypal", "bank_transfer", "gift_card"].contains(&pm));
            }
        }
    }
}
