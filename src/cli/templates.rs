//! `--templates DIR`: an organisation's own runbook templates. The files of DIR (not its
//! subdirectories) are read here, by name, and handed to the emitters as texts; a template
//! the directory does not have comes from the built-in set. Emitters never read files.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::{Output, exit};
use crate::emit::Options;
use crate::emit::runbooks;

/// The largest template genops reads.
const MAX_TEMPLATE_BYTES: u64 = 1 << 20;

/// The build options for `--templates DIR`, or the exit code after saying why DIR cannot be
/// used (exit 3: an I/O or usage problem, not a problem of the spec).
pub(super) fn options(dir: Option<&Path>, out: &Output) -> Result<Options, i32> {
    let Some(dir) = dir else { return Ok(Options::default()) };
    let fail = |why: String| {
        out.stderr(&format!("error: cannot read the templates in {}: {why}\n", dir.display()));
        exit::INTERNAL
    };
    let entries = fs::read_dir(dir).map_err(|e| fail(e.to_string()))?;
    let mut templates = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| fail(e.to_string()))?;
        let path = entry.path();
        let meta = fs::metadata(&path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
        if !meta.is_file() {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(String::from) else {
            return Err(fail(format!("{}: the file name is not UTF-8", path.display())));
        };
        if name.starts_with('.') {
            continue;
        }
        if meta.len() > MAX_TEMPLATE_BYTES {
            return Err(fail(format!("{name} is larger than {MAX_TEMPLATE_BYTES} bytes")));
        }
        let bytes = fs::read(&path).map_err(|e| fail(format!("{name}: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|_| fail(format!("{name} is not UTF-8")))?;
        if runbooks::embedded(&name).is_none() && !out.quiet {
            out.stderr(&format!(
                "warning: template {name} in {} replaces no built-in template; only an `include`, `import` or `extends` of another template uses it\n",
                dir.display()
            ));
        }
        out.info(&format!("template {name} from {}", dir.display()));
        templates.insert(name, text);
    }
    Ok(Options { templates })
}
