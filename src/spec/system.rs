//! `system:` — what the system is called, who owns it, where it runs, how it is tagged.

use schemars::JsonSchema;

use super::units::{Name, Region};
use crate::decode_struct;
use crate::diag::{Code, Diagnostic};
use crate::source::Spanned;
use crate::yaml::{Decode, Decoder, Node, NodeKind};

/// The system as a whole.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct System {
    /// The system's name; prefixes every generated resource.
    pub name: Spanned<Name>,
    /// The owning team.
    pub owner: Spanned<Name>,
    /// The OCI region the system runs in, e.g. `us-chicago-1`.
    pub region: Spanned<Region>,
    /// ISO 4217 currency of every amount in the spec. Default `USD`.
    pub currency: Option<Spanned<Currency>>,
    /// One sentence on what the system does; shown in runbooks and the plan.
    pub description: Option<Spanned<String>>,
    /// Free-form tags added to every resource for cost attribution.
    #[schemars(default)]
    pub tags: Tags,
}

decode_struct!(System "system" {
    name: req, owner: req, region: req, currency: opt, description: opt, tags: default,
});

/// Three uppercase letters, e.g. `USD`, `EUR`.
#[derive(Clone, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct Currency(#[schemars(regex(pattern = r"^[A-Z]{3}$"))] pub String);

impl Decode for Currency {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Currency> {
        let text = String::decode(node, d)?;
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
            return Some(Currency(text));
        }
        d.error(
            Diagnostic::new(Code::InvalidValue, format!("`{text}` is not an ISO 4217 currency code"))
                .label(node.span, "expected three uppercase letters")
                .help(format!(
                    "write the code, e.g. `USD`, `EUR`{}",
                    if text.len() == 3 { format!(" or `{}`", text.to_ascii_uppercase()) } else { String::new() }
                )),
        );
        None
    }
}

/// Free-form tags: keys of letters, digits, `-`, `_`, `.` (at most 100); string values of at
/// most [`MAX_TAG_VALUE`] characters.
/// OCI's limit on a free-form tag value. The tags are copied onto every resource, so an
/// unbounded value multiplies the output.
pub const MAX_TAG_VALUE: usize = 256;

#[derive(Clone, Debug, Default)]
pub struct Tags(pub Vec<(Spanned<String>, Spanned<String>)>);

impl Decode for Tags {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Tags> {
        let NodeKind::Map(entries) = &node.kind else {
            d.wrong_type(node, "a mapping of tag keys to values");
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for entry in entries {
            let key = &entry.key.value;
            let valid_key = !key.is_empty()
                && key.len() <= 100
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if !valid_key {
                ok = false;
                d.error(
                    Diagnostic::new(Code::InvalidValue, format!("`{key}` is not a valid tag key"))
                        .label(entry.key.span, "OCI tag keys are letters, digits, `-`, `_` and `.`, at most 100")
                        .help("rename the key, e.g. `cost-center`"),
                );
            }
            if valid_key && key.starts_with(crate::conventions::TAG_PREFIX) {
                ok = false;
                d.error(
                    Diagnostic::new(Code::InvalidValue, format!("tag key `{key}` is reserved"))
                        .label(entry.key.span, "genops sets the `genops-` tags itself")
                        .help("rename the key; genops adds `genops-system`, `genops-owner` and `genops-route` to every resource"),
                );
            }
            match Spanned::<String>::decode(&entry.value, d) {
                Some(value) if value.value.chars().count() > MAX_TAG_VALUE => {
                    ok = false;
                    d.error(
                        Diagnostic::new(Code::InvalidValue, format!("the value of tag `{key}` is too long"))
                            .label(value.span, format!("OCI tag values are at most {MAX_TAG_VALUE} characters"))
                            .help("shorten the value; it is copied onto every resource genops creates"),
                    );
                }
                Some(value) => out.push((Spanned::new(entry.key.value.to_string(), entry.key.span), value)),
                None => ok = false,
            }
        }
        ok.then_some(Tags(out))
    }
}

impl JsonSchema for Tags {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Tags".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "propertyNames": { "pattern": "^[A-Za-z0-9._-]{1,100}$" },
            "additionalProperties": { "type": ["string", "number"] }
        })
    }
}
