//! The `genops` binary: arguments in, exit code out. Everything else is in the library.

/// mimalloc instead of the system allocator: a build of a large system makes millions of small
/// allocations on several threads, where glibc's allocator is markedly slower (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    genops::cli::main(std::env::args_os())
}
