//! The `genops` binary: arguments in, exit code out. Everything else is in the library.

/// mimalloc instead of the system allocator: a build of a large system makes millions of small
/// allocations on several threads, where glibc's allocator spent a third of the time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    genops::memory::prefer_small_pages();
    genops::cli::main(std::env::args_os())
}
