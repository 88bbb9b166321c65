//! The floor of issue #8 as a process: read a spec and load it into saphyr's generic `Yaml`
//! value, nothing else.
//!
//! In: the spec's path (the first argument). Out: nothing on success (exit 0), a message and
//! exit 1 when the file cannot be read or is not YAML. saphyr is the loader crate over the
//! saphyr-parser that genops reads YAML with. The value is not freed: the process exits
//! instead, as `genops build` does with its own. `benches/whole-process.sh` times this beside
//! `genops build` in one hyperfine run; `yaml-floor` uses the system allocator (a plain
//! program), `yaml-floor-mimalloc` the allocator genops uses.

use saphyr::LoadableYamlNode;

pub fn main() {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: yaml-floor SPEC.yaml");
        std::process::exit(2);
    };
    let loaded = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| saphyr::Yaml::load_from_str(&text).map_err(|e| e.to_string()));
    match loaded {
        Ok(documents) => std::mem::forget(std::hint::black_box(documents)),
        Err(e) => {
            eprintln!("yaml-floor: {}: {e}", path.to_string_lossy());
            std::process::exit(1);
        }
    }
}
