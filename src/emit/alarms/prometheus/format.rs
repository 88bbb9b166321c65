//! How numbers and strings are spelled for Prometheus: PromQL literals, and the annotation
//! (and alert label) templates, written once as [`Part`]s and rendered two ways.
//!
//! In: numbers, durations, spec strings and annotation parts. Out: PromQL text without float
//! noise or exponents, escaped string literals, Prometheus template text in which no spec
//! string can become template code ([`template`]), and the text Prometheus renders from it for
//! a given alert ([`render`], Go's number formatting included), which the promtool tests
//! expect.

use serde_json::{Map, Value, json};

use crate::spec::units::Duration;

/// A number for PromQL and promtool without float noise or exponents (12 significant digits).
pub(super) fn ratio(value: f64) -> String {
    crate::emit::yaml::number(value)
}

/// `5m`, `1h`, `1d` as PromQL durations.
pub(super) fn prom_duration(d: Duration) -> String {
    d.to_string()
}

/// A PromQL string literal (also the label-value syntax of promtool's series notation).
pub(super) fn pq(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How `$value` is printed.
#[derive(Clone, Copy)]
pub(super) enum Fmt {
    /// `{{ $value }}`: Go's `%v`.
    Plain,
    /// `{{ $value | humanize }}`.
    Humanize,
}

/// A piece of an annotation: text, a label of the alert, or its value.
pub(super) enum Part {
    Lit(String),
    Label(&'static str),
    Value(Fmt),
}

pub(super) fn lit(s: impl Into<String>) -> Part {
    Part::Lit(s.into())
}

/// The Prometheus template. Literal text is escaped: every `{` becomes the action `{{ "{" }}`,
/// so a spec string holding `{{ … }}` prints as itself instead of running as template code.
pub(super) fn template(parts: &[Part]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Lit(s) => {
                for c in s.chars() {
                    if c == '{' { out.push_str("{{ \"{\" }}") } else { out.push(c) }
                }
            }
            Part::Label(l) => out.push_str(&format!("{{{{ $labels.{l} }}}}")),
            Part::Value(Fmt::Plain) => out.push_str("{{ $value }}"),
            Part::Value(Fmt::Humanize) => out.push_str("{{ $value | humanize }}"),
        }
    }
    out
}

/// The text Prometheus renders from [`template`] for an alert with these labels and value.
pub(super) fn render(parts: &[Part], labels: &Map<String, Value>, value: f64) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Lit(s) => out.push_str(s),
            Part::Label(l) => out.push_str(labels.get(*l).and_then(Value::as_str).unwrap_or_default()),
            Part::Value(Fmt::Plain) => out.push_str(&go_float(value)),
            Part::Value(Fmt::Humanize) => out.push_str(&humanize(value)),
        }
    }
    out
}

/// Go's `%v` of a float64: shortest digits, exponent form below 1e-4 and from 1e6 on.
pub(super) fn go_float(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let e = format!("{v:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) { go_exponent(mantissa, exp) } else { format!("{v}") }
}

fn go_exponent(mantissa: &str, exp: i32) -> String {
    format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// Go's `%.4g`.
pub(super) fn go_g4(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let e = format!("{v:.3e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: String| -> String {
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
    };
    if !(-4..4).contains(&exp) {
        return go_exponent(&trim(mantissa.to_string()), exp);
    }
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let fixed = if exp >= 0 {
        let point = exp as usize + 1;
        format!("{}.{}", &digits[..point], &digits[point..])
    } else {
        format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
    };
    format!("{}{}", if negative { "-" } else { "" }, trim(fixed))
}

/// Prometheus's `humanize`: 4 significant digits with an SI prefix.
pub(super) fn humanize(mut v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return go_g4(v);
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", go_g4(v))
}

pub(super) fn templates(parts: &[(&str, Vec<Part>)]) -> Map<String, Value> {
    parts.iter().map(|(k, p)| (k.to_string(), json!(template(p)))).collect()
}

pub(super) fn rendered(parts: &[(&str, Vec<Part>)], labels: &Map<String, Value>, value: f64) -> Map<String, Value> {
    parts.iter().map(|(k, p)| (k.to_string(), json!(render(p, labels, value)))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_have_no_float_noise() {
        assert_eq!(ratio(14.4 * 0.001), "0.0144");
        assert_eq!(ratio(0.00001), "0.00001");
    }

    #[test]
    fn spec_text_never_becomes_template_code() {
        let parts = [lit("a {{ .x }} b {"), Part::Label("slo"), lit("}}")];
        assert_eq!(template(&parts), "a {{ \"{\" }}{{ \"{\" }} .x }} b {{ \"{\" }}{{ $labels.slo }}}}");
        let mut labels = Map::new();
        labels.insert("slo".into(), json!("s"));
        assert_eq!(render(&parts, &labels, 0.0), "a {{ .x }} b {s}}");
    }

    #[test]
    fn values_print_like_go_templates() {
        assert_eq!(humanize(20.416666), "20.42");
        assert_eq!(humanize(14.4), "14.4");
        assert_eq!(humanize(50.0), "50");
        assert_eq!(humanize(1234.5), "1.234k");
        assert_eq!(humanize(0.25), "250m");
        assert_eq!(go_g4(0.1), "0.1");
        assert_eq!(go_g4(123456.0), "1.235e+05");
        assert_eq!(go_float(0.9), "0.9");
        assert_eq!(go_float(0.0015), "0.0015");
        assert_eq!(go_float(0.00001), "1e-05");
    }

    #[test]
    fn promql_strings_are_escaped() {
        assert_eq!(pq("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
