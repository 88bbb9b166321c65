//! The `genops` binary: arguments in, exit code out. Everything else is in the library.

fn main() {
    std::process::exit(genops::cli::run(std::env::args_os()));
}
