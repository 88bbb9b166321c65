//! `yaml-floor`: [`parse`] with the system allocator, as a plain program gets it.

#[path = "parse.rs"]
mod parse;

fn main() {
    parse::main()
}
