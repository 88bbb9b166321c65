//! `genops-synth N DIR`: writes a synthetic spec with N routes (and its prompt and dataset
//! files) into DIR, for benchmarks and scale tests. See `genops::synth`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(n), Some(dir)) = (args.get(1).and_then(|n| n.parse::<usize>().ok()), args.get(2)) else {
        eprintln!("usage: genops-synth ROUTES DIR");
        return ExitCode::from(3);
    };
    let dir = PathBuf::from(dir);
    let synth = genops::synth::generate(n);
    let write = |path: PathBuf, text: &str| -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)
    };
    let result = write(dir.join("genops.yaml"), &synth.spec)
        .and_then(|()| synth.files.iter().try_for_each(|(p, c)| write(dir.join(p), c)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("genops-synth: cannot write {}: {e}", dir.display());
            ExitCode::from(3)
        }
    }
}
