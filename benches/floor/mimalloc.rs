//! `yaml-floor-mimalloc`: [`parse`] with the allocator genops uses (mimalloc, its default
//! settings), the faster of the two floors.

#[path = "parse.rs"]
mod parse;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    parse::main()
}
