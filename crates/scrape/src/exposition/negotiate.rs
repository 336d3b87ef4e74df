//! Content negotiation: the `Accept` header a scrape sends and the parser a response's
//! `Content-Type` selects.

/// The `Accept` header Prometheus sends when scraping: OpenMetrics preferred, text 0.0.4 next.
pub const DEFAULT_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// The `Accept` header when only the text format is wanted.
pub const TEXT_ONLY_ACCEPT: &str = "text/plain;version=0.0.4;q=1.0,*/*;q=0.1";

/// The content type of the text format 0.0.4.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The content type of OpenMetrics 1.0.0.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The media type Prometheus sends for each `scrape_protocols` name that obslab can parse.
pub fn protocol_media_type(protocol: &str) -> Option<&'static str> {
    Some(match protocol {
        "OpenMetricsText1.0.0" => "application/openmetrics-text;version=1.0.0",
        "OpenMetricsText0.0.1" => "application/openmetrics-text;version=0.0.1",
        "PrometheusText1.0.0" => "text/plain;version=1.0.0",
        "PrometheusText0.0.4" => "text/plain;version=0.0.4",
        _ => return None,
    })
}

/// Builds an `Accept` header from `scrape_protocols` the way Prometheus does: decreasing q-values
/// in the given order, then `*/*`. Protocols obslab cannot parse (protobuf) are left out.
pub fn accept_header(protocols: &[String]) -> String {
    let mut vals = Vec::new();
    let mut weight = 6;
    for p in protocols {
        if let Some(mt) = protocol_media_type(p) {
            vals.push(format!("{mt};q=0.{weight}"));
            weight -= 1;
        }
    }
    vals.push(format!("*/*;q=0.{weight}"));
    vals.join(",")
}

/// The exposition formats obslab parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpositionFormat {
    Text,
    OpenMetrics,
}

/// The media type of a `Content-Type` value, lower-cased and without parameters.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Picks the parser for a response: OpenMetrics for `application/openmetrics-text`, otherwise the
/// text format (also when the header is missing or names something else, as Prometheus falls back).
pub fn format_for_content_type(content_type: Option<&str>) -> ExpositionFormat {
    match content_type.map(media_type).as_deref() {
        Some("application/openmetrics-text") => ExpositionFormat::OpenMetrics,
        _ => ExpositionFormat::Text,
    }
}

/// For a server: the format to answer an `Accept` header with, honouring q-values (OpenMetrics
/// only when the client names it and ranks it at least as high as the text format).
pub fn format_for_accept(accept: Option<&str>) -> ExpositionFormat {
    let Some(accept) = accept else {
        return ExpositionFormat::Text;
    };
    let mut best_om: f32 = 0.0;
    let mut best_text: f32 = 0.0;
    for part in accept.split(',') {
        let mut params = part.split(';');
        let mt = params.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1.0f32;
        for p in params {
            if let Some((k, v)) = p.split_once('=')
                && k.trim().eq_ignore_ascii_case("q")
            {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        match mt.as_str() {
            "application/openmetrics-text" => best_om = best_om.max(q),
            "text/plain" | "*/*" | "text/*" => best_text = best_text.max(q),
            _ => {}
        }
    }
    if best_om > 0.0 && best_om >= best_text {
        ExpositionFormat::OpenMetrics
    } else {
        ExpositionFormat::Text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_picks_the_parser() {
        assert_eq!(
            format_for_content_type(Some("application/openmetrics-text; version=1.0.0; charset=utf-8")),
            ExpositionFormat::OpenMetrics
        );
        assert_eq!(
            format_for_content_type(Some("Application/OpenMetrics-Text")),
            ExpositionFormat::OpenMetrics
        );
        assert_eq!(
            format_for_content_type(Some(TEXT_CONTENT_TYPE)),
            ExpositionFormat::Text
        );
        assert_eq!(
            format_for_content_type(Some("application/json")),
            ExpositionFormat::Text
        );
        assert_eq!(format_for_content_type(None), ExpositionFormat::Text);
    }

    #[test]
    fn accept_header_from_protocols() {
        let p: Vec<String> = ["OpenMetricsText1.0.0", "PrometheusProto", "PrometheusText0.0.4"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            accept_header(&p),
            "application/openmetrics-text;version=1.0.0;q=0.6,text/plain;version=0.0.4;q=0.5,*/*;q=0.4"
        );
        assert_eq!(accept_header(&[]), "*/*;q=0.6");
    }

    #[test]
    fn accept_header_ranks_formats() {
        assert_eq!(
            format_for_accept(Some(DEFAULT_ACCEPT)),
            ExpositionFormat::OpenMetrics
        );
        assert_eq!(format_for_accept(Some(TEXT_ONLY_ACCEPT)), ExpositionFormat::Text);
        assert_eq!(format_for_accept(Some("*/*")), ExpositionFormat::Text);
        assert_eq!(
            format_for_accept(Some("application/openmetrics-text;q=0.2,text/plain;q=0.9")),
            ExpositionFormat::Text
        );
        assert_eq!(format_for_accept(None), ExpositionFormat::Text);
    }
}
