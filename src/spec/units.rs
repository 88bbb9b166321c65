//! Values with units and forms: names, durations, percentages, money, versions, secrets.
//!
//! In: YAML scalars. Out: checked values (`8s` is 8,000 ms, `99.9%` is 0.999), or a diagnostic
//! with the code of the form that was broken. Each type also gives the JSON Schema of its form.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::diag::{Code, Diagnostic, suggest};
use crate::source::Spanned;
use crate::yaml::{Decode, Decoder, Node, NodeKind, ScalarValue, expect_scalar};

/// Declares a keyword enum: its YAML spellings, `Decode` with "did you mean", and its schema.
#[macro_export]
macro_rules! keyword_enum {
    ($(#[$meta:meta])* $ty:ident $what:literal { $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $ty { $( $(#[$vmeta])* $variant, )* }

        impl $ty {
            pub const ALL: &'static [$ty] = &[ $( $ty::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( $ty::$variant => $text, )* }
            }

            pub fn parse(text: &str) -> Option<$ty> {
                match text { $( $text => Some($ty::$variant), )* _ => None }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::yaml::Decode for $ty {
            fn decode(node: &$crate::yaml::Node, d: &mut $crate::yaml::Decoder) -> Option<$ty> {
                let names = [ $( $text, )* ];
                let expected = format!("one of {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "));
                let s = $crate::yaml::expect_scalar(node, d, &expected)?;
                if let Some(v) = $ty::parse(&s.text) {
                    return Some(v);
                }
                let help = $crate::diag::suggest::help_for(&s.text, names.iter().copied())
                    .unwrap_or_else(|| format!("use {expected}"));
                d.error(
                    $crate::diag::Diagnostic::new(
                        $crate::diag::Code::UnknownVariant,
                        format!("`{}` is not a valid {}", s.text, $what),
                    )
                    .label(node.span, format!("expected {expected}"))
                    .help(help),
                );
                None
            }
        }

        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": [ $( $text, )* ] })
            }
        }
    };
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

fn scalar_text<'n>(node: &'n Node, d: &mut Decoder, expected: &str) -> Option<&'n str> {
    expect_scalar(node, d, expected).map(|s| s.text.as_str())
}

/// A kebab-case name: `[a-z][a-z0-9]*(-[a-z0-9]+)*`, at most 63 characters. Names become
/// Terraform identifiers, OCI display names, Prometheus label values and file names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(pub String);

impl Name {
    pub const MAX_LEN: usize = 63;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_valid(text: &str) -> bool {
        let bytes = text.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= Name::MAX_LEN
            && bytes[0].is_ascii_lowercase()
            && !text.ends_with('-')
            && !text.contains("--")
            && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
    }

    /// The kebab-case spelling of a near miss (`Chat_Bot` -> `chat-bot`).
    pub fn suggestion(text: &str) -> String {
        let mut out = String::new();
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                if c.is_ascii_uppercase() && !out.is_empty() && !out.ends_with('-') {
                    let prev_lower = out.chars().last().is_some_and(|p| p.is_ascii_lowercase());
                    if prev_lower {
                        out.push('-');
                    }
                }
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        let out = out.trim_matches('-').to_string();
        let out = out.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
        out.chars().take(Name::MAX_LEN).collect::<String>().trim_end_matches('-').to_string()
    }

    /// Checks a name written as a mapping key or a reference, reporting GO0110.
    pub fn check(text: &str, span: crate::source::Span, d: &mut Decoder) -> Option<Name> {
        if Name::is_valid(text) {
            return Some(Name(text.to_string()));
        }
        let suggestion = Name::suggestion(text);
        let help = if !suggestion.is_empty() && Name::is_valid(&suggestion) {
            format!(
                "write `{suggestion}`: names are lowercase letters, digits and single hyphens, starting with a letter"
            )
        } else {
            "names are lowercase letters, digits and single hyphens, starting with a letter".to_string()
        };
        let why = if text.len() > Name::MAX_LEN {
            format!("longer than {} characters", Name::MAX_LEN)
        } else {
            "not kebab-case".to_string()
        };
        d.error(Diagnostic::new(Code::NotKebabCase, format!("name `{text}` is {why}")).label(span, why).help(help));
        None
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Decode for Name {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Name> {
        let text = String::decode(node, d)?;
        Name::check(&text, node.span, d)
    }
}

impl JsonSchema for Name {
    fn schema_name() -> Cow<'static, str> {
        "Name".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
            "maxLength": 63,
            "description": "A kebab-case name: lowercase letters, digits and single hyphens, starting with a letter."
        })
    }
}

/// A duration: `200ms`, `8s`, `15m`, `1h`, `30d`, `1w`, or a sum such as `1h30m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    pub millis: u64,
}

impl Duration {
    const UNITS: [(&'static str, u64); 6] =
        [("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)];

    pub fn from_millis(millis: u64) -> Duration {
        Duration { millis }
    }

    pub fn seconds(self) -> f64 {
        self.millis as f64 / 1000.0
    }

    pub fn parse(text: &str) -> Result<Duration, &'static str> {
        if text.is_empty() {
            return Err("empty");
        }
        let mut rest = text;
        let mut total: u64 = 0;
        let mut last_unit = u64::MAX;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err("expected a number before the unit");
            }
            let number: u64 = rest[..digits].parse().map_err(|_| "number too large")?;
            rest = &rest[digits..];
            let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            if unit_len == 0 {
                return Err("missing unit (ms, s, m, h, d or w)");
            }
            let unit = &rest[..unit_len];
            rest = &rest[unit_len..];
            let Some(&(_, factor)) = Duration::UNITS.iter().find(|(u, _)| *u == unit) else {
                return Err("unknown unit (use ms, s, m, h, d or w)");
            };
            if factor >= last_unit {
                return Err("units must go from largest to smallest, each once");
            }
            last_unit = factor;
            total = number.checked_mul(factor).and_then(|v| v.checked_add(total)).ok_or("duration too large")?;
        }
        Ok(Duration { millis: total })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.millis == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.millis;
        for (unit, factor) in Duration::UNITS {
            // Weeks only when the value is whole weeks; `14d` reads better than `2w` otherwise.
            if unit == "w" && rest % factor != 0 {
                continue;
            }
            if rest >= factor {
                write!(f, "{}{unit}", rest / factor)?;
                rest %= factor;
            }
        }
        Ok(())
    }
}

impl Decode for Duration {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Duration> {
        if let NodeKind::Scalar(s) = &node.kind {
            if let ScalarValue::Int(n) = s.value() {
                d.error(
                    Diagnostic::new(Code::InvalidDuration, format!("duration `{n}` has no unit"))
                        .label(node.span, "a bare number")
                        .help(format!("write the unit: `{n}s`, `{n}ms`, `{n}m` …")),
                );
                return None;
            }
        }
        let text = scalar_text(node, d, "a duration such as `8s`")?;
        match Duration::parse(text.trim()) {
            Ok(v) => Some(v),
            Err(why) => {
                d.error(
                    Diagnostic::new(Code::InvalidDuration, format!("invalid duration `{text}`"))
                        .label(node.span, why)
                        .help("write a number and a unit: `200ms`, `8s`, `15m`, `1h`, `30d`, `1w`, or a sum such as `1h30m`"),
                );
                None
            }
        }
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$",
            "minLength": 2,
            "description": "A duration: 200ms, 8s, 15m, 1h, 30d, 1w, or a sum such as 1h30m."
        })
    }
}

/// A share between 0 and 1, written `99.9%` (or as a fraction `0.999`).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Percent {
    pub fraction: f64,
}

impl Percent {
    pub fn parse(text: &str) -> Result<Percent, &'static str> {
        let number = text.strip_suffix('%').ok_or("missing `%`")?.trim();
        let value: f64 = number.parse().map_err(|_| "not a number")?;
        if !value.is_finite() || !(0.0..=100.0).contains(&value) {
            return Err("must be between 0% and 100%");
        }
        Ok(Percent { fraction: value / 100.0 })
    }
}

/// Formats a number without float noise: 99.9, not 99.90000000000001. It is `value` rounded to
/// six decimals (as `format!("{:.6}")` rounds it), trailing zeros and a bare `-0` dropped.
pub fn format_number(value: f64) -> String {
    // Below 2^33 the product with 10^6 is off by less than 10^-6, so unless it lies that close
    // to a tie, rounding it gives the six decimals exactly; integers are printed without the
    // float formatter's exact (and slow) digit generation. Everything else takes the formatter.
    let scaled = value * 1e6;
    let fraction = scaled - scaled.floor();
    if value.abs() < (1u64 << 33) as f64 && (fraction - 0.5).abs() > 1e-6 {
        let micros = scaled.round() as i64;
        let (units, rest) = (micros.unsigned_abs() / 1_000_000, micros.unsigned_abs() % 1_000_000);
        // The digits written straight into the text: numbers are printed by the hundred
        // thousand, and the formatting machinery cost more than the arithmetic.
        let mut text = String::with_capacity(24);
        if micros < 0 {
            text.push('-');
        }
        push_digits(&mut text, units, 1);
        if rest != 0 {
            text.push('.');
            // Six decimals, their trailing zeros dropped (`rest` is not 0: at most five).
            let (mut rest, mut width) = (rest, 6);
            while rest % 10 == 0 {
                rest /= 10;
                width -= 1;
            }
            push_digits(&mut text, rest, width);
        }
        return text;
    }
    format_number_exactly(value)
}

/// `value` in decimal, zero-padded to at least `width` digits, at the end of `text`.
fn push_digits(text: &mut String, mut value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    while value > 0 || digits.len() - at < width {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    text.extend(digits[at..].iter().map(|&d| d as char));
}

/// [`format_number`] through the float formatter.
fn format_number_exactly(value: f64) -> String {
    let text = format!("{:.6}", value);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_string() } else { text.to_string() }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", format_number(self.fraction * 100.0))
    }
}

impl Decode for Percent {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Percent> {
        let s = expect_scalar(node, d, "a percentage such as `99.9%`")?;
        let fraction_number = match s.value() {
            ScalarValue::Int(i) => Some(i as f64),
            ScalarValue::Float(f) => Some(f),
            _ => None,
        };
        let result = match fraction_number {
            Some(f) if (0.0..=1.0).contains(&f) => Ok(Percent { fraction: f }),
            Some(_) => Err("a bare number is a fraction between 0 and 1"),
            None => Percent::parse(s.text.trim()),
        };
        match result {
            Ok(p) => Some(p),
            Err(why) => {
                let help = match fraction_number {
                    Some(f) if (1.0..=100.0).contains(&f) => {
                        format!("did you mean `{}%`?", format_number(f))
                    }
                    _ => "write a percentage such as `99.9%`, or a fraction such as `0.999`".to_string(),
                };
                d.error(
                    Diagnostic::new(Code::InvalidPercentage, format!("invalid percentage `{}`", s.text))
                        .label(node.span, why)
                        .help(help),
                );
                None
            }
        }
    }
}

impl JsonSchema for Percent {
    fn schema_name() -> Cow<'static, str> {
        "Percent".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A percentage such as 99.9%, or a fraction between 0 and 1.",
            "oneOf": [
                { "type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?%$" },
                { "type": "number", "minimum": 0, "maximum": 1 }
            ]
        })
    }
}

/// An amount of money in the system's currency, zero or more.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Money(pub f64);

impl Decode for Money {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Money> {
        if let NodeKind::Scalar(s) = &node.kind {
            if s.value() == ScalarValue::Str && s.text.trim_start().starts_with(['$', '€', '£']) {
                let bare = s.text.trim().trim_start_matches(['$', '€', '£']);
                d.error(
                    Diagnostic::new(Code::WrongType, format!("expected an amount, found the string `{}`", s.text))
                        .label(node.span, "amounts are plain numbers")
                        .help(format!("write `{bare}`; the currency is `system.currency`")),
                );
                return None;
            }
        }
        let value = f64::decode(node, d)?;
        if value < 0.0 {
            d.error(
                Diagnostic::new(Code::InvalidNumber, "an amount of money cannot be negative")
                    .label(node.span, "negative"),
            );
            return None;
        }
        Some(Money(value))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_number(self.0))
    }
}

impl JsonSchema for Money {
    fn schema_name() -> Cow<'static, str> {
        "Money".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "number", "minimum": 0, "description": "An amount in the system's currency." })
    }
}

/// A semantic version (`2.1.0`, `1.0.0-rc.1`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub semver::Version);

impl Decode for Version {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Version> {
        let s = expect_scalar(node, d, "a semantic version such as `2.1.0`")?;
        match semver::Version::parse(s.text.trim()) {
            Ok(v) => Some(Version(v)),
            Err(e) => {
                let parts = s.text.split('.').count();
                let help = if parts < 3 && s.text.split('.').all(|p| p.parse::<u64>().is_ok()) {
                    let padded = format!("{}{}", s.text, ".0".repeat(3 - parts));
                    format!("a semantic version has three numbers: write `\"{padded}\"`")
                } else {
                    "write MAJOR.MINOR.PATCH with an optional pre-release: `2.1.0`, `1.0.0-rc.1`".into()
                };
                d.error(
                    Diagnostic::new(Code::InvalidSemver, format!("invalid semantic version `{}`", s.text))
                        .label(node.span, e.to_string())
                        .help(help),
                );
                None
            }
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl JsonSchema for Version {
    fn schema_name() -> Cow<'static, str> {
        "Version".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$",
            "description": "A semantic version: MAJOR.MINOR.PATCH[-PRERELEASE]."
        })
    }
}

/// Why `text` is not an OCID of resource type `kind`, in the syntax of Oracle's Resource
/// Identifiers (<https://docs.oracle.com/en-us/iaas/Content/General/Concepts/identifiers.htm>):
/// `ocid1.<resource type>.<realm>.[region][.future use].<unique id>`. The realm is `oc` and a
/// number (`oc1` commercial, `oc2` government …); the region is empty for resources that are not
/// regional; the unique part's length varies by resource type, so only its characters are checked.
pub fn ocid_problem(text: &str, kind: &str) -> Option<String> {
    let parts: Vec<&str> = text.split('.').collect();
    let lower =
        |p: &str, dash: bool| p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || (dash && b == b'-'));
    if parts.first() != Some(&"ocid1") {
        return Some("an OCID starts with `ocid1.`".into());
    }
    if !(5..=6).contains(&parts.len()) {
        return Some(format!(
            "{} dot-separated parts; an OCID has 5 (or 6): `ocid1.<type>.<realm>.<region>.<unique id>`",
            parts.len()
        ));
    }
    if parts[1] != kind {
        return Some(format!("the resource type is `{}`; this field needs a `{kind}` OCID", parts[1]));
    }
    let realm = parts[2].strip_prefix("oc").unwrap_or("");
    if realm.is_empty() || !realm.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("realm `{}` is not `oc` and a number (`oc1` is the commercial realm)", parts[2]));
    }
    let middle = &parts[3..parts.len() - 1];
    if let Some(bad) = middle.iter().find(|p| !lower(p, true)) {
        return Some(format!("region `{bad}` is not lowercase letters, digits and `-`"));
    }
    let unique = parts[parts.len() - 1];
    if unique.is_empty() || !lower(unique, false) {
        return Some("the unique part (after the last `.`) is lowercase letters and digits".into());
    }
    None
}

/// A reference to a secret, never its value: `vault:<secret OCID>` or `env:NAME`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecretRef {
    Vault(String),
    Env(String),
}

impl SecretRef {
    pub fn parse(text: &str) -> Result<SecretRef, &'static str> {
        if let Some(ocid) = text.strip_prefix("vault:") {
            if ocid_problem(ocid, "vaultsecret").is_none() {
                return Ok(SecretRef::Vault(ocid.to_string()));
            }
            return Err("a vault reference names a secret OCID: `vault:ocid1.vaultsecret.oc1...`");
        }
        if let Some(name) = text.strip_prefix("env:") {
            let valid = name.bytes().next().is_some_and(|b| b.is_ascii_uppercase() || b == b'_')
                && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if valid {
                return Ok(SecretRef::Env(name.to_string()));
            }
            return Err("an environment reference names a variable: `env:UPPER_CASE_NAME`");
        }
        Err("a literal value")
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Vault(ocid) => write!(f, "vault:{ocid}"),
            SecretRef::Env(name) => write!(f, "env:{name}"),
        }
    }
}

impl Decode for SecretRef {
    fn decode(node: &Node, d: &mut Decoder) -> Option<SecretRef> {
        let text = scalar_text(node, d, "a secret reference (`vault:<ocid>` or `env:NAME`)")?;
        match SecretRef::parse(text.trim()) {
            Ok(s) => Some(s),
            Err(why) => {
                let literal = !text.starts_with("vault:") && !text.starts_with("env:");
                let ocid = text.trim().strip_prefix("vault:").and_then(|o| ocid_problem(o, "vaultsecret"));
                let diagnostic = if let Some(problem) = ocid {
                    Diagnostic::new(Code::InvalidOcid, "the secret's OCID does not have Oracle's shape")
                        .label(node.span, problem)
                        .help("copy the secret's OCID from OCI Vault: `vault:ocid1.vaultsecret.<realm>.<region>.<unique id>`; `genops explain GO0116`")
                } else if literal {
                    Diagnostic::new(Code::LiteralSecret, "a secret is written into the spec as a literal value")
                        .label(node.span, "this value would be committed, rendered into generated files and logged")
                        .help("store the secret in OCI Vault and write `vault:<secret OCID>`, or pass it in the environment and write `env:NAME`")
                } else {
                    Diagnostic::new(Code::InvalidValue, "invalid secret reference")
                        .label(node.span, why)
                        .help("write `vault:ocid1.vaultsecret.<realm>..<id>` or `env:NAME`")
                };
                d.error(diagnostic);
                None
            }
        }
    }
}

impl JsonSchema for SecretRef {
    fn schema_name() -> Cow<'static, str> {
        "SecretRef".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^(vault:ocid1\\.vaultsecret\\.oc[0-9]+\\.[a-z0-9-]*(\\.[a-z0-9-]*)?\\.[a-z0-9]+|env:[A-Z_][A-Z0-9_]*)$",
            "description": "A reference to a secret, never its value: vault:<secret OCID> or env:NAME."
        })
    }
}

/// Declares a string form checked by a predicate: the type, `Decode`, and a schema pattern.
macro_rules! string_form {
    ($(#[$meta:meta])* $ty:ident, $expected:literal, $pattern:literal, $help:literal, $code:expr, $valid:expr) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $ty(pub String);

        impl $ty {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Decode for $ty {
            fn decode(node: &Node, d: &mut Decoder) -> Option<$ty> {
                let text = String::decode(node, d)?;
                let valid: fn(&str) -> bool = $valid;
                if valid(&text) {
                    return Some($ty(text));
                }
                d.error(
                    Diagnostic::new($code, format!("`{text}` is not {}", $expected))
                        .label(node.span, concat!("expected ", $expected))
                        .help($help),
                );
                None
            }
        }

        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string", "pattern": $pattern, "description": concat!("Must be ", $expected, ".") })
            }
        }
    };
}

string_form!(
    /// An email address.
    Email, "an email address", "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
    "write an address such as `ana@example.com`", Code::InvalidEmail,
    |t| {
        let Some((local, domain)) = t.split_once('@') else { return false };
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !t.chars().any(|c| c.is_whitespace() || c == ',' || c == '<' || c == '>')
            && !domain.contains('@')
    }
);

string_form!(
    /// An HTTP path served by the gateway: `/v1/chat`.
    RoutePath, "an HTTP path such as `/v1/chat`", "^/([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*)?$",
    "start with `/`, use letters, digits, `.`, `_`, `~`, `-` between single slashes, and no trailing slash",
    Code::InvalidValue,
    |t| {
        t == "/" || (t.starts_with('/') && t[1..].split('/').all(|seg| {
            !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
        }))
    }
);

string_form!(
    /// An OCI region identifier: `us-chicago-1`.
    Region, "an OCI region identifier such as `us-chicago-1`", "^[a-z]+(-[a-z]+)+-[0-9]+$",
    "write the region identifier, e.g. `us-chicago-1`, `eu-frankfurt-1`, `ap-osaka-1`",
    Code::InvalidValue,
    |t| {
        let parts: Vec<&str> = t.split('-').collect();
        parts.len() >= 3
            && parts.last().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
    }
);

string_form!(
    /// A Slack channel: `#ai-platform-alerts`.
    SlackChannel, "a Slack channel such as `#ai-platform-alerts`", "^#[a-z0-9][a-z0-9._-]{0,79}$",
    "write the channel with its `#`, in lowercase: `#ai-platform-alerts`",
    Code::InvalidValue,
    |t| {
        t.len() >= 2 && t.len() <= 81 && t.starts_with('#')
            && t[1..].bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
    }
);

string_form!(
    /// A browser origin allowed to call a route (CORS): `https://app.example.com[:port]`, or `*`.
    Origin, "a browser origin such as `https://app.example.com`, or `*`", "^(\\*|https?://[^/\\s]+)$",
    "write the scheme and host without a path, e.g. `https://app.example.com` or `http://localhost:3000`; `*` allows any origin",
    Code::InvalidValue,
    |t| t == "*" || ["https://", "http://"].iter().any(|p| t.strip_prefix(p).is_some_and(|rest| !rest.is_empty() && !rest.contains('/') && !rest.chars().any(char::is_whitespace)))
);

string_form!(
    /// An `https://` URL.
    HttpsUrl, "an https URL", "^https://[^\\s/$.?#].[^\\s]*$",
    "write a full URL starting with `https://`",
    Code::InvalidValue,
    |t| t.strip_prefix("https://").is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/') && !rest.chars().any(char::is_whitespace))
);

string_form!(
    /// A path to a file, relative to the spec's directory, inside it.
    RelativePath, "a relative path inside the spec's directory", "^[^/\\\\][^\\\\]*$",
    "write the path relative to the spec file, e.g. `prompts/answer.md`; it may not start with `/`, climb out with `..`, or hold control or bidi characters",
    Code::InvalidValue,
    |t| {
        // A path is copied into comments of the output and the manifest, and shown in plans:
        // a control or bidi character in it could disguise it there.
        !t.is_empty() && !t.starts_with('/') && !t.contains('\\') && !t.chars().any(crate::diag::is_unsafe_char)
            && !t.split('/').any(|seg| seg == "..")
    }
);

/// A threshold whose unit depends on the SLI: a duration (latency), a percentage
/// (harmful rate) or a number (score, cost).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    Duration(Duration),
    Percent(Percent),
    Number(f64),
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threshold::Duration(v) => v.fmt(f),
            Threshold::Percent(v) => v.fmt(f),
            Threshold::Number(v) => f.write_str(&format_number(*v)),
        }
    }
}

impl Decode for Threshold {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Threshold> {
        let s = expect_scalar(node, d, "a threshold (`5s`, `0.1%` or a number)")?;
        match s.value() {
            ScalarValue::Int(_) | ScalarValue::Float(_) => f64::decode(node, d).map(Threshold::Number),
            _ if s.text.trim_end().ends_with('%') => Percent::decode(node, d).map(Threshold::Percent),
            _ => Duration::decode(node, d).map(Threshold::Duration),
        }
    }
}

impl JsonSchema for Threshold {
    fn schema_name() -> Cow<'static, str> {
        "Threshold".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let duration = generator.subschema_for::<Duration>();
        json_schema!({
            "description": "A duration for latency (5s), a percentage for harmful_rate (0.1%), a number for groundedness (0.90) and cost_per_query (0.05).",
            "oneOf": [
                duration,
                { "type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?%$" },
                { "type": "number", "minimum": 0 }
            ]
        })
    }
}

/// Suggests the closest of a fixed set of words.
pub fn closest<'a>(word: &str, words: &[&'a str]) -> Option<&'a str> {
    suggest::did_you_mean(word, words.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_without_float_noise() {
        for (value, text) in [
            (f64::from_bits(99.9f64.to_bits() + 1), "99.9"),
            (0.1 + 0.2, "0.3"),
            (14.4, "14.4"),
            (-0.0000001, "0"),
            (-1.25, "-1.25"),
            (3.0, "3"),
            (0.0000025, "0.000003"),
            (1e12, "1000000000000"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(format_number(value), text, "{value}");
        }
    }

    proptest! {
        /// The shortcut prints what the float formatter prints: any double, decimals of the
        /// sizes SLOs and prices have, and values a hair from a tie of the sixth decimal.
        #[test]
        fn format_number_is_the_float_formatter(
            any in any::<f64>(),
            micros in -10_000_000_000i64..10_000_000_000,
            nudge in -3i32..=3,
        ) {
            prop_assert_eq!(format_number(any), format_number_exactly(any));
            let decimal = micros as f64 / 1e6;
            prop_assert_eq!(format_number(decimal), format_number_exactly(decimal));
            let tie = (micros as f64 + 0.5) / 1e6;
            let near = f64::from_bits((tie.to_bits() as i64 + nudge as i64) as u64);
            prop_assert_eq!(format_number(near), format_number_exactly(near));
        }
    }

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("200ms").unwrap().millis, 200);
        assert_eq!(Duration::parse("1h30m").unwrap().millis, 5_400_000);
        assert_eq!(Duration::parse("30d").unwrap().to_string(), "30d");
        assert_eq!(Duration::parse("14d").unwrap().to_string(), "2w");
        assert_eq!(Duration::parse("90s").unwrap().to_string(), "1m30s");
        assert!(Duration::parse("8").is_err());
        assert!(Duration::parse("8x").is_err());
        assert!(Duration::parse("30m1h").is_err());
        assert!(Duration::parse("99999999999999999999s").is_err());
    }

    #[test]
    fn percentages() {
        assert_eq!(Percent::parse("99.9%").unwrap().to_string(), "99.9%");
        assert_eq!(Percent::parse("0.1%").unwrap().to_string(), "0.1%");
        assert!(Percent::parse("101%").is_err());
        assert!(Percent::parse("abc%").is_err());
    }

    #[test]
    fn names() {
        assert!(Name::is_valid("command-r"));
        assert!(Name::is_valid("llama-70b"));
        assert!(!Name::is_valid("Command-R"));
        assert!(!Name::is_valid("chat--bot"));
        assert!(!Name::is_valid("9lives"));
        assert!(!Name::is_valid("trailing-"));
        assert_eq!(Name::suggestion("ChatBot_v2"), "chat-bot-v2");
        assert_eq!(Name::suggestion("command_r"), "command-r");
    }

    #[test]
    fn secrets() {
        assert!(SecretRef::parse("vault:ocid1.vaultsecret.oc1..abc").is_ok());
        assert!(SecretRef::parse("env:PAGERDUTY_KEY").is_ok());
        assert!(SecretRef::parse("sk-live-1234").is_err());
        assert!(SecretRef::parse("env:lower").is_err());
    }

    #[test]
    fn ocids_have_oracles_shape() {
        let secret = "ocid1.vaultsecret.oc1.eu-frankfurt-1.amaaaaaa7ratcfya5ewjdpdvvzwbjlqbc3mbqo4yhbnvvfsy2dgaxyz3qa";
        assert_eq!(ocid_problem(secret, "vaultsecret"), None);
        assert_eq!(
            ocid_problem("ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq", "tenancy"),
            None
        );
        assert_eq!(ocid_problem("ocid1.vaultsecret.oc1.iad.future.abc", "vaultsecret"), None);
        for bad in [
            "ocid1.vaultsecret.xxx",
            "ocid2.vaultsecret.oc1..abc",
            "ocid1.vault.oc1..abc",
            "ocid1.vaultsecret.aws.us-east-1.abc",
            "ocid1.vaultsecret.oc1.EU-FRANKFURT-1.abc",
            "ocid1.vaultsecret.oc1.eu-frankfurt-1.",
            "ocid1.vaultsecret.oc1.eu-frankfurt-1.ABC_def",
            "ocid1.vaultsecret.oc1.a.b.c.d",
        ] {
            assert!(ocid_problem(bad, "vaultsecret").is_some(), "{bad}");
        }
    }

    #[test]
    fn numbers_print_without_noise() {
        assert_eq!(format_number(99.9), "99.9");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(5000.0), "5000");
    }
}
