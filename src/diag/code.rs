//! Stable diagnostic codes.
//!
//! Each code has a number users search for, a default severity, a one-line title and a
//! long explanation (`genops explain GO0201`) kept in `src/diag/explain/<code>.md`.
//! Codes are never renumbered or reused: CI filters and editor integrations depend on them.

use super::Severity;

macro_rules! codes {
    ($( $variant:ident = $id:literal, $severity:ident, $title:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// `GO0201`.
            pub fn id(self) -> &'static str {
                match self { $( Code::$variant => $id, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }

            /// One line saying what the code is about.
            pub fn title(self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }

            /// The long explanation printed by `genops explain`.
            pub fn explanation(self) -> &'static str {
                match self { $( Code::$variant => include_str!(concat!("explain/", $id, ".md")), )* }
            }
        }
    };
}

codes! {
    // Reading and parsing the file.
    SpecUnreadable = "GO0001", Error, "the spec file cannot be read";
    NotUtf8 = "GO0002", Error, "a file is not valid UTF-8";
    TooLarge = "GO0003", Error, "a file is larger than genops accepts";
    YamlSyntax = "GO0004", Error, "YAML syntax error";
    YamlLimit = "GO0005", Error, "the YAML nests too deeply or expands too much";
    DuplicateKey = "GO0006", Error, "a key appears twice in one mapping";
    UnsupportedYaml = "GO0007", Error, "a YAML feature genops does not accept";
    EmptySpec = "GO0008", Error, "the spec is empty";
    TooManyDefinitions = "GO0009", Error, "a section defines more than genops supports";
    // The shape of the spec.
    UnknownField = "GO0101", Error, "unknown field";
    MissingField = "GO0102", Error, "a required field is missing";
    WrongType = "GO0103", Error, "a value has the wrong type";
    UnknownVariant = "GO0104", Error, "a value is not one of the allowed keywords";
    BooleanTrap = "GO0105", Error, "a YAML 1.1 boolean word where a string or boolean is expected";
    InvalidDuration = "GO0106", Error, "invalid duration";
    InvalidPercentage = "GO0107", Error, "invalid percentage";
    InvalidNumber = "GO0108", Error, "a number is out of range";
    InvalidSemver = "GO0109", Error, "invalid semantic version";
    NotKebabCase = "GO0110", Error, "a name is not kebab-case";
    UnsupportedVersion = "GO0111", Error, "unsupported spec version";
    LiteralSecret = "GO0112", Error, "a secret is written as a literal value";
    InvalidEmail = "GO0113", Error, "invalid email address";
    InvalidValue = "GO0114", Error, "a value does not have the required form";
    ConflictingFields = "GO0115", Error, "fields that cannot be used together";
    InvalidOcid = "GO0116", Error, "an OCID does not have Oracle's shape";
    // References between named things.
    UnknownName = "GO0201", Error, "reference to a name that is not defined";
    FallbackCycle = "GO0202", Error, "fallbacks form a cycle";
    DuplicatePath = "GO0203", Error, "two routes serve the same path";
    WrongKind = "GO0204", Error, "a reference names the wrong kind of thing";
    RedundantReference = "GO0205", Error, "a reference is repeated or points at itself";
    // Operating policy.
    DataClassServing = "GO0301", Error, "a model is not allowed for the route's data class";
    DataResidency = "GO0302", Error, "restricted data leaves the system's region";
    LoggingLevel = "GO0303", Error, "a route logs more than its data class allows";
    ComplianceControl = "GO0304", Error, "a compliance framework's required control is missing";
    LatencyBudget = "GO0305", Error, "a route's worst-case latency exceeds its latency SLO";
    CostSlo = "GO0306", Error, "a route's estimated cost per query exceeds its cost SLO";
    BudgetThresholds = "GO0307", Error, "budget thresholds are out of order or out of range";
    DowngradeTarget = "GO0308", Error, "a budget downgrade target is not a valid downgrade";
    SloDefinition = "GO0309", Error, "an SLO is incomplete or inconsistent for its SLI";
    RolloutDefinition = "GO0310", Error, "a rollout is incomplete or unsafe";
    FileMissing = "GO0311", Error, "a referenced file does not exist or cannot be read";
    DatasetRecord = "GO0312", Error, "an evaluation dataset line is not a valid case";
    DatasetTooSmall = "GO0313", Error, "an evaluation dataset has fewer cases than required";
    EscalationOrder = "GO0314", Error, "escalation timings do not increase";
    RotationDefinition = "GO0315", Error, "an on-call rotation cannot page anyone";
    CostUnknown = "GO0316", Warning, "a route's cost cannot be estimated";
    AlarmsPageNobody = "GO0317", Error, "SLOs are defined but nobody is on call for their alarms";
    PagesOutOfHours = "GO0318", Error, "pages go to a rotation that is not on call around the clock";
    UnbudgetedFallback = "GO0319", Error, "a pay-per-token fallback is not covered by any budget";
    GatewayTimeout = "GO0320", Error, "a route's worst case outlasts the API gateway's backend timeout";
    EncryptionConflict = "GO0321", Error, "Oracle-managed encryption for a system whose data needs customer-managed keys";
    BudgetActsUntold = "GO0325", Error, "a budget acts on pressure but its alerts reach nobody";
    BudgetTellsNobody = "GO0326", Warning, "a budget's alerts reach nobody";
    BudgetBlind = "GO0327", Warning, "a route-scoped budget cannot see part of its routes' spend";
    EscalationTooLate = "GO0328", Warning, "an escalation step comes later than an OCI alarm can wait";
    // Advice.
    Unused = "GO0401", Warning, "defined but never used";
    SloNoise = "GO0402", Warning, "an SLO objective is finer than the traffic can measure";
    NotEnforced = "GO0403", Warning, "a setting genops accepts but cannot enforce yet";
    GatewayLimit = "GO0404", Warning, "the system needs more API gateways than OCI allows by default";
    AlarmOperations = "GO0405", Warning, "Terraform needs more than ten minutes of OCI alarm operations for this system";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for Code {
    type Err = ();
    fn from_str(s: &str) -> Result<Code, ()> {
        let wanted = s.trim().to_ascii_uppercase();
        Code::ALL.iter().copied().find(|c| c.id() == wanted).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut ids: Vec<_> = Code::ALL.iter().map(|c| c.id()).collect();
        assert!(ids.iter().all(|id| id.len() == 6 && id.starts_with("GO")));
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Code::ALL.len());
    }

    #[test]
    fn every_explanation_has_an_example_and_a_fix() {
        for code in Code::ALL {
            let text = code.explanation();
            assert!(text.starts_with(&format!("# {}", code.id())), "{code}: explanation must start with its heading");
            assert!(text.contains("```yaml"), "{code}: explanation needs a YAML example");
            assert!(text.contains("## How to fix"), "{code}: explanation needs a fix section");
        }
    }
}

#[cfg(test)]
mod readme {
    use super::Code;

    #[test]
    fn the_readme_lists_every_code() {
        let readme = include_str!("../../docs/diagnostics.md");
        for code in Code::ALL {
            let row = format!("| {} | {} | {} |", code.id(), code.severity().as_str(), code.title());
            assert!(readme.contains(&row), "docs/diagnostics.md is missing the row `{row}`");
        }
    }
}
