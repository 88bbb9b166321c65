//! The `genops` binary: arguments in, exit code out. Everything else is in the library.

fn main() {
    genops::cli::main(std::env::args_os())
}
