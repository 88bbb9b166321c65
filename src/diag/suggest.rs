//! "Did you mean": the closest known name to an unknown one.
//!
//! In: the unknown word and the candidates. Out: the best candidate, if one is close enough.
//! Distance is Damerau-Levenshtein; candidates sharing a long prefix or differing only by
//! separators (`command_r` for `command-r`) also match. Large name sets are filtered by length
//! first, so a spec with thousands of routes does not pay a full distance per candidate.

/// The candidate closest to `word`, when it is plausibly what the user meant.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let normalized = normalize(word);
    let max = (word.chars().count() / 3).clamp(1, 4);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == word {
            continue;
        }
        if normalize(candidate) == normalized {
            return Some(candidate);
        }
        let length_gap = candidate.len().abs_diff(word.len());
        if length_gap > max {
            continue;
        }
        let distance = strsim::damerau_levenshtein(word, candidate);
        if distance <= max && best.is_none_or(|(d, c)| (distance, candidate) < (d, c)) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

fn normalize(word: &str) -> String {
    word.chars().filter(|c| !matches!(c, '-' | '_' | ' ' | '.')).flat_map(char::to_lowercase).collect()
}

/// `help:` text for an unknown name.
pub fn help_for<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    did_you_mean(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_and_separator_variants() {
        let names = ["command-r", "llama-70b", "embed"];
        assert_eq!(did_you_mean("comand-r", names), Some("command-r"));
        assert_eq!(did_you_mean("command_r", names), Some("command-r"));
        assert_eq!(did_you_mean("llama-7b", names), Some("llama-70b"));
        assert_eq!(did_you_mean("gpt-4o", names), None);
    }

    #[test]
    fn ties_break_alphabetically() {
        assert_eq!(did_you_mean("ab", ["ac", "aa"]), Some("aa"));
    }
}
