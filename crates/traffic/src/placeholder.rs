//! Templates for request paths and bodies: `{rand:1..20}` becomes a random integer between the two
//! bounds (both included) and `{pick:card|paypal}` one of the listed words, so that a mix can vary
//! its requests without code. Any other brace is literal text.

use rand::Rng;
use serde_json::Value;

/// A malformed placeholder.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TemplateError {
    #[error("unclosed placeholder in {0:?}")]
    Unclosed(String),
    #[error("invalid {{rand:a..b}} placeholder {0:?}: expected two integers with a <= b")]
    BadRange(String),
    #[error("invalid {{pick:a|b}} placeholder {0:?}: expected one or more choices separated by |")]
    BadPick(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Rand { lo: i64, hi: i64 },
    Pick(Vec<String>),
}

/// A string with placeholders, parsed once and expanded for every request.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`, rejecting malformed `{rand:...}` and `{pick:...}` placeholders.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(pos) = find_placeholder(rest) {
            literal.push_str(&rest[..pos]);
            let after = &rest[pos..];
            let end = after
                .find('}')
                .ok_or_else(|| TemplateError::Unclosed(text.to_string()))?;
            let inner = &after[1..end];
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal)));
            }
            parts.push(parse_placeholder(inner)?);
            rest = &after[end + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Self { parts })
    }

    /// Expands every placeholder with fresh random values.
    pub fn expand(&self, rng: &mut impl Rng) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Rand { lo, hi } => out.push_str(&rng.random_range(*lo..=*hi).to_string()),
                Part::Pick(choices) => out.push_str(&choices[rng.random_range(0..choices.len())]),
            }
        }
        out
    }

    /// True when the template is exactly one `{rand:..}`, so a JSON body can turn it into a number.
    fn is_lone_number(&self) -> bool {
        matches!(self.parts.as_slice(), [Part::Rand { .. }])
    }
}

fn find_placeholder(s: &str) -> Option<usize> {
    match (s.find("{rand:"), s.find("{pick:")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn parse_placeholder(inner: &str) -> Result<Part, TemplateError> {
    let whole = || format!("{{{inner}}}");
    if let Some(range) = inner.strip_prefix("rand:") {
        let (lo, hi) = range
            .split_once("..=")
            .or_else(|| range.split_once(".."))
            .ok_or_else(|| TemplateError::BadRange(whole()))?;
        let lo: i64 = lo.trim().parse().map_err(|_| TemplateError::BadRange(whole()))?;
        let hi: i64 = hi.trim().parse().map_err(|_| TemplateError::BadRange(whole()))?;
        if lo > hi {
            return Err(TemplateError::BadRange(whole()));
        }
        Ok(Part::Rand { lo, hi })
    } else {
        let list = inner.strip_prefix("pick:").unwrap_or(inner);
        let choices: Vec<String> = list.split('|').map(str::to_string).collect();
        if choices.iter().any(String::is_empty) {
            return Err(TemplateError::BadPick(whole()));
        }
        Ok(Part::Pick(choices))
    }
}

/// A JSON body whose string values are templates. A string that is exactly one `{rand:a..b}`
/// becomes a JSON number, so `"customer_id": "{rand:1..50}"` sends an integer.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyTemplate {
    Fixed(Value),
    Text(Template),
    Array(Vec<BodyTemplate>),
    Object(Vec<(String, BodyTemplate)>),
}

impl BodyTemplate {
    /// Parses the templates inside every string of `value`.
    pub fn parse(value: &Value) -> Result<Self, TemplateError> {
        Ok(match value {
            Value::String(s) => {
                let t = Template::parse(s)?;
                if t.parts.iter().all(|p| matches!(p, Part::Text(_))) {
                    BodyTemplate::Fixed(value.clone())
                } else {
                    BodyTemplate::Text(t)
                }
            }
            Value::Array(items) => {
                BodyTemplate::Array(items.iter().map(BodyTemplate::parse).collect::<Result<_, _>>()?)
            }
            Value::Object(map) => BodyTemplate::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), BodyTemplate::parse(v)?)))
                    .collect::<Result<_, TemplateError>>()?,
            ),
            other => BodyTemplate::Fixed(other.clone()),
        })
    }

    /// Builds one concrete body.
    pub fn expand(&self, rng: &mut impl Rng) -> Value {
        match self {
            BodyTemplate::Fixed(v) => v.clone(),
            BodyTemplate::Text(t) => {
                let s = t.expand(rng);
                if t.is_lone_number() {
                    s.parse::<i64>().map(Value::from).unwrap_or(Value::String(s))
                } else {
                    Value::String(s)
                }
            }
            BodyTemplate::Array(items) => Value::Array(items.iter().map(|i| i.expand(rng)).collect()),
            BodyTemplate::Object(fields) => {
                Value::Object(fields.iter().map(|(k, v)| (k.clone(), v.expand(rng))).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::json;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(7)
    }

    #[test]
    fn literal_text_and_other_braces_stay() {
        let t = Template::parse("/api/{id}/x").unwrap();
        assert_eq!(t.expand(&mut rng()), "/api/{id}/x");
    }

    #[test]
    fn rand_covers_the_inclusive_range() {
        let t = Template::parse("/api/products/{rand:1..3}").unwrap();
        let mut r = rng();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..300 {
            let s = t.expand(&mut r);
            let n: i64 = s.strip_prefix("/api/products/").unwrap().parse().unwrap();
            assert!((1..=3).contains(&n), "{s}");
            seen.insert(n);
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![1, 2, 3]);
        let eq = Template::parse("{rand:5..=5}").unwrap();
        assert_eq!(eq.expand(&mut r), "5");
    }

    #[test]
    fn pick_chooses_among_words() {
        let t = Template::parse("pay-{pick:card|paypal}!").unwrap();
        let mut r = rng();
        for _ in 0..50 {
            let s = t.expand(&mut r);
            assert!(s == "pay-card!" || s == "pay-paypal!", "{s}");
        }
    }

    #[test]
    fn malformed_placeholders_are_errors() {
        assert!(matches!(
            Template::parse("/x/{rand:1..2"),
            Err(TemplateError::Unclosed(_))
        ));
        assert!(matches!(
            Template::parse("{rand:9..2}"),
            Err(TemplateError::BadRange(_))
        ));
        assert!(matches!(
            Template::parse("{rand:a..b}"),
            Err(TemplateError::BadRange(_))
        ));
        assert!(matches!(
            Template::parse("{rand:12}"),
            Err(TemplateError::BadRange(_))
        ));
        assert!(matches!(
            Template::parse("{pick:a||b}"),
            Err(TemplateError::BadPick(_))
        ));
    }

    #[test]
    fn body_lone_rand_becomes_number_and_others_stay_strings() {
        let body = BodyTemplate::parse(&json!({
            "customer_id": "{rand:1..50}",
            "note": "order {rand:1..9}",
            "method": "{pick:card|paypal}",
            "items": [{"product_id": "{rand:1..20}", "quantity": 2}],
            "gift": false
        }))
        .unwrap();
        let mut r = rng();
        for _ in 0..20 {
            let v = body.expand(&mut r);
            let id = v["customer_id"].as_i64().unwrap();
            assert!((1..=50).contains(&id));
            assert!(v["note"].as_str().unwrap().starts_with("order "));
            assert!(["card", "paypal"].contains(&v["method"].as_str().unwrap()));
            assert!(v["items"][0]["product_id"].is_i64());
            assert_eq!(v["items"][0]["quantity"], 2);
            assert_eq!(v["gift"], false);
        }
    }

    #[test]
    fn body_errors_propagate() {
        assert!(BodyTemplate::parse(&json!({"a": ["{rand:3..1}"]})).is_err());
    }
}
