//! Integration tests: one binary, a module per feature. They drive the real `genops` binary.

mod alarms;
mod cases;
mod cli;
mod docs;
mod examples;
mod hostile;
mod litellm;
mod out_safety;
mod plan;
mod roundtrip;
mod runbooks;
mod schema;
mod support;
mod terraform;
