//! The web application firewall switch of routes: a route may go without the firewall only
//! when the spec says why (`waf: { enabled: false, reason: "…" }`), so the exception is
//! written where a reviewer reads it.

use super::{Checker, valid_indexed};
use crate::diag::{Code, Diagnostic};

impl Checker<'_> {
    pub(super) fn check_waf_opt_outs(&mut self) {
        for (_, name, route) in valid_indexed(&self.doc.routes.value) {
            let Some(waf) = &route.waf else { continue };
            if waf.value.enabled.value {
                continue;
            }
            let reason = waf.value.reason.as_ref().map(|r| r.value.trim()).unwrap_or_default();
            if reason.is_empty() {
                self.diags.push(
                    Diagnostic::new(
                        Code::MissingField,
                        format!("route `{}` turns the web application firewall off without a reason", name.value),
                    )
                    .label(waf.span, "`enabled: false` needs a `reason`")
                    .help("say why the route goes without the firewall: `waf: { enabled: false, reason: \"…\" }`"),
                );
            }
        }
    }
}
