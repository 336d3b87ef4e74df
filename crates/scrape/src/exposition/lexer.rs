//! Byte-level scanning shared by the text and OpenMetrics parsers: names, quoted values, numbers
//! and escapes. Everything works on borrowed input so that a scrape allocates only for values that
//! actually contain escapes.

use std::borrow::Cow;

const METRIC_START: u8 = 1;
const METRIC_CONT: u8 = 2;
const LABEL_START: u8 = 4;
const LABEL_CONT: u8 = 8;

/// A parse error in Prometheus's wording: `<expected>, got "<token>" while parsing: "<line>"`.
pub(crate) fn unexpected(line: usize, exp: &str, got: &str, whole: &str) -> super::ParseError {
    super::ParseError::new(
        line,
        format!("{exp}, got {} while parsing: {}", quote(got), quote(whole)),
    )
}

/// The line of `src` that starts at `*pos`, without its newline; advances `pos` past it and counts
/// it in `line`. Both parsers read their input one line at a time this way.
pub(crate) fn next_line<'a>(src: &'a str, pos: &mut usize, line: &mut usize) -> Option<&'a str> {
    if *pos >= src.len() {
        return None;
    }
    let rest = &src[*pos..];
    let end = rest.find('\n').unwrap_or(rest.len());
    *pos += end + 1;
    *line += 1;
    Some(&rest[..end])
}

/// Character classes of ASCII bytes, looked up instead of compared on the hot path.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let alpha = b.is_ascii_alphabetic() || b == b'_';
        let digit = b.is_ascii_digit();
        let mut v = 0;
        if alpha || b == b':' {
            v |= METRIC_START | METRIC_CONT;
        }
        if digit {
            v |= METRIC_CONT | LABEL_CONT;
        }
        if alpha {
            v |= LABEL_START | LABEL_CONT;
        }
        t[c] = v;
        c += 1;
    }
    t
};

/// True for a byte that may start a metric name (`[a-zA-Z_:]`).
pub fn is_metric_start(b: u8) -> bool {
    CLASS[b as usize] & METRIC_START != 0
}

/// True for a byte that may continue a metric name (`[a-zA-Z0-9_:]`).
pub fn is_metric_cont(b: u8) -> bool {
    CLASS[b as usize] & METRIC_CONT != 0
}

/// True for a byte that may start a label name (`[a-zA-Z_]`).
pub fn is_label_start(b: u8) -> bool {
    CLASS[b as usize] & LABEL_START != 0
}

/// True for a byte that may continue a label name (`[a-zA-Z0-9_]`).
pub fn is_label_cont(b: u8) -> bool {
    CLASS[b as usize] & LABEL_CONT != 0
}

/// True when `s` is a valid legacy metric name.
pub fn is_valid_metric_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && is_metric_start(b[0]) && b[1..].iter().all(|&c| is_metric_cont(c))
}

/// True when `s` is a valid legacy label name.
pub fn is_valid_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && is_label_start(b[0]) && b[1..].iter().all(|&c| is_label_cont(c))
}

/// Length of the metric name at the start of `b` (0 when there is none).
pub fn metric_name_len(b: &[u8]) -> usize {
    if b.first().is_some_and(|&c| is_metric_start(c)) {
        1 + b[1..].iter().take_while(|&&c| is_metric_cont(c)).count()
    } else {
        0
    }
}

/// Length of the label name at the start of `b` (0 when there is none).
pub fn label_name_len(b: &[u8]) -> usize {
    if b.first().is_some_and(|&c| is_label_start(c)) {
        1 + b[1..].iter().take_while(|&&c| is_label_cont(c)).count()
    } else {
        0
    }
}

/// Length of a double-quoted string at the start of `b`, quotes included, honouring backslash
/// escapes. `None` when the closing quote is missing or a raw newline comes first.
pub fn quoted_len(b: &[u8]) -> Option<usize> {
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            b'\n' => return None,
            _ => i += 1,
        }
    }
    None
}

/// Decodes a label value (the text between the quotes): `\\`, `\"` and `\n` are escapes; any other
/// backslash stays as written, as Prometheus does.
pub fn unescape_label_value(raw: &str) -> Cow<'_, str> {
    unescape(raw, true)
}

/// Decodes a text-format HELP string, where only `\\` and `\n` are escapes.
pub fn unescape_help_text(raw: &str) -> Cow<'_, str> {
    unescape(raw, false)
}

fn unescape(raw: &str, quote: bool) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.clone().next() {
            Some('\\') => {
                out.push('\\');
                chars.next();
            }
            Some('n') => {
                out.push('\n');
                chars.next();
            }
            Some('"') if quote => {
                out.push('"');
                chars.next();
            }
            _ => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Feeds the decoded bytes of a label value to `f` without allocating.
pub fn for_each_unescaped_byte(raw: &str, mut f: impl FnMut(u8)) {
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'\\' => {
                    f(b'\\');
                    i += 2;
                    continue;
                }
                b'n' => {
                    f(b'\n');
                    i += 2;
                    continue;
                }
                b'"' => {
                    f(b'"');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        f(b[i]);
        i += 1;
    }
}

/// Parses a number in the grammar both exposition formats share (Go's decimal `ParseFloat` less
/// hex and underscores; OpenMetrics' `number`): `[+-]digits[.digits][e[+-]digits]`, `.5`, `5.`,
/// `[+-]Inf`/`Infinity` and `NaN` in any case. Finite text that overflows is rejected, as Go does.
pub fn parse_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let rest = &s[i..];
    if rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity") {
        return Some(if b.first() == Some(&b'-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if rest.eq_ignore_ascii_case("nan") {
        // Signs on NaN are not part of the grammar.
        return (i == 0).then_some(f64::NAN);
    }
    let int_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp_digits == 0 {
            return None;
        }
        i += exp_digits;
    }
    if i != b.len() {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Iterates the label pairs of an already validated label list (the text between the braces),
/// decoding escapes only where present. Whitespace and a trailing comma are tolerated, as the text
/// format allows them.
#[derive(Debug, Clone)]
pub struct LabelIter<'a> {
    rest: &'a str,
}

impl<'a> LabelIter<'a> {
    pub fn new(raw: &'a str) -> Self {
        Self { rest: raw }
    }
}

fn skip_ws_commas(s: &str) -> &str {
    s.trim_start_matches([' ', '\t', ','])
}

impl<'a> Iterator for LabelIter<'a> {
    type Item = (&'a str, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        let s = skip_ws_commas(self.rest);
        let n = label_name_len(s.as_bytes());
        if n == 0 {
            self.rest = "";
            return None;
        }
        let name = &s[..n];
        let s = s[n..].trim_start_matches([' ', '\t']);
        let s = s.strip_prefix('=')?.trim_start_matches([' ', '\t']);
        let q = quoted_len(s.as_bytes())?;
        let raw = &s[1..q - 1];
        self.rest = &s[q..];
        Some((name, unescape_label_value(raw)))
    }
}

/// FNV-1a, used for cheap in-parser bookkeeping (groups, clashing names) without allocating keys.
#[derive(Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub fn byte(&mut self, b: u8) {
        self.0 ^= u64::from(b);
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }

    pub fn bytes(&mut self, b: &[u8]) {
        for &c in b {
            self.byte(c);
        }
    }

    pub fn finish(self) -> u64 {
        self.0
    }
}

/// Quotes `s` for an error message the way Go's `%q` would (close enough for ASCII input).
pub fn quote(s: &str) -> String {
    format!("{s:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_shared_grammar() {
        for (s, v) in [
            ("1", 1.0),
            ("-1.5", -1.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("+2", 2.0),
        ] {
            assert_eq!(parse_number(s), Some(v), "{s}");
        }
        assert_eq!(parse_number("0000001.2e-1"), Some(0.12));
        assert_eq!(parse_number("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_number("-infinity"), Some(f64::NEG_INFINITY));
        assert!(parse_number("NaN").is_some_and(f64::is_nan));
        assert!(parse_number("nan").is_some_and(f64::is_nan));
        for bad in [
            "", "a", "0x1", "0x1p-3", "1_2", "1e", ".", "1.1.1", "-NaN", " 1", "1 ", "1e400", "0b1",
        ] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn escapes_decode_like_prometheus() {
        assert_eq!(unescape_label_value(r#"a\"b\\c\nd\z"#), "a\"b\\c\nd\\z");
        assert_eq!(unescape_help_text(r#"a\"b\\c\nd"#), "a\\\"b\\c\nd");
        assert!(matches!(unescape_label_value("plain"), Cow::Borrowed(_)));
        let mut v = Vec::new();
        for_each_unescaped_byte(r#"a\"b\\c\nd\z"#, |b| v.push(b));
        assert_eq!(v, b"a\"b\\c\nd\\z");
    }

    #[test]
    fn label_iter_reads_validated_lists() {
        let got: Vec<_> = LabelIter::new(r#"a="1", b = "x\"y" ,"#).collect();
        assert_eq!(
            got,
            vec![("a", Cow::Borrowed("1")), ("b", Cow::Owned("x\"y".to_string()))]
        );
        assert_eq!(LabelIter::new("").count(), 0);
    }

    #[test]
    fn name_classes() {
        assert_eq!(metric_name_len(b"a:b_1{"), 5);
        assert_eq!(metric_name_len(b"1a"), 0);
        assert_eq!(label_name_len(b"_a1:"), 3);
        assert_eq!(label_name_len(b":a"), 0);
        assert!(is_valid_metric_name("up") && !is_valid_metric_name("a-b") && !is_valid_metric_name(""));
        assert!(is_valid_label_name("__name__") && !is_valid_label_name("a:b"));
    }

    #[test]
    fn quoted_strings_stop_at_newline() {
        assert_eq!(quoted_len(br#""a\"b" x"#), Some(6));
        assert_eq!(quoted_len(b"\"a\nb\""), None);
        assert_eq!(quoted_len(b"\"abc"), None);
    }
}
