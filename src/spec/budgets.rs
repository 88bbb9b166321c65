//! `budgets:` — spending limits, their alerts, and what happens under budget pressure.

use schemars::JsonSchema;

use super::units::{Money, Name, Percent};
use crate::source::Spanned;
use crate::yaml::{Decode, Decoder, Node, NodeKind};
use crate::{decode_struct, keyword_enum};

keyword_enum!(
    /// Budget period (OCI budgets reset monthly).
    Period "budget period" { Monthly = "monthly" }
);

/// A budget.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Budget {
    /// Amount per period in the system's currency.
    pub amount: Spanned<Money>,
    /// Default `monthly`.
    pub period: Option<Spanned<Period>>,
    /// Routes whose spend counts against it. Default: the whole system.
    #[schemars(default)]
    pub routes: Vec<Spanned<Name>>,
    /// Alert rules, in increasing order.
    #[schemars(default)]
    pub alerts: Vec<Spanned<BudgetAlert>>,
    /// Automatic response when spend passes a threshold.
    pub on_pressure: Option<Spanned<OnPressure>>,
}

decode_struct!(Budget "budget" { amount: req, period: opt, routes: default, alerts: default, on_pressure: opt });

/// Alert when spend (or forecast spend) reaches a share of the amount.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BudgetAlert {
    pub at: Spanned<Percent>,
    /// Alert on the forecast for the period instead of actual spend.
    pub forecast: Option<Spanned<bool>>,
}

decode_struct!(BudgetAlert "budget alert" { at: req, forecast: opt });

/// What happens under budget pressure.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OnPressure {
    pub at: Spanned<Percent>,
    /// Routes switched to a cheaper model: one `{ route, to }` or a list of them.
    #[schemars(default)]
    pub downgrade: OneOrMany<Spanned<Downgrade>>,
    /// Gateway rate limit applied to the budget's routes.
    pub rate_limit: Option<Spanned<PressureRateLimit>>,
}

decode_struct!(OnPressure "pressure policy" { at: req, downgrade: default, rate_limit: opt });

#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Downgrade {
    pub route: Spanned<Name>,
    pub to: Spanned<Name>,
}

decode_struct!(Downgrade "downgrade" { route: req, to: req });

#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PressureRateLimit {
    pub per_second: Spanned<u32>,
}

decode_struct!(PressureRateLimit "rate limit" { per_second: req });

/// One value or a list of them.
#[derive(Clone, Debug)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany(Vec::new())
    }
}

impl<T: Decode> Decode for OneOrMany<T> {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        match &node.kind {
            NodeKind::Seq(_) => Vec::<T>::decode(node, d).map(OneOrMany),
            _ => T::decode(node, d).map(|v| OneOrMany(vec![v])),
        }
    }
}

impl<T: JsonSchema> JsonSchema for OneOrMany<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("OneOrMany_{}", T::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let one = generator.subschema_for::<T>();
        schemars::json_schema!({ "oneOf": [one, { "type": "array", "items": one }] })
    }
}
