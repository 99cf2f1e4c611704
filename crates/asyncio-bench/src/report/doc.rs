//! The generated parts of `docs/benchmarks.md` live between `<!-- report:KEY begin -->` and
//! `<!-- report:KEY end -->` (KEY a group, or `machine`); the report replaces what is between
//! them and leaves every other line alone, so the hand-written history and analysis stay
//! beside the figures they discuss. A group with no markers yet (a new group's first
//! report) gets a section of its own at the end, markers included, ready for prose around it.

/// The line that opens `key`'s generated part.
pub fn begin(key: &str) -> String {
    format!("<!-- report:{key} begin -->")
}

/// The line that closes `key`'s generated part.
pub fn end(key: &str) -> String {
    format!("<!-- report:{key} end -->")
}

/// `doc` with `key`'s generated part replaced by `content`, or, where `doc` has no markers
/// for `key`, with a new section `heading` appended that holds them. An error where the
/// markers are there but broken (an `end` missing or before its `begin`): then a person
/// edited them, and guessing could eat their prose.
pub fn replace(doc: &str, key: &str, heading: &str, content: &str) -> Result<String, String> {
    let (begin, end) = (begin(key), end(key));
    let content = content.trim_end_matches('\n');
    match (doc.find(&begin), doc.find(&end)) {
        (Some(start), Some(stop)) if start < stop => {
            let inner = start + begin.len();
            Ok(format!("{}\n{content}\n{}", &doc[..inner], &doc[stop..]))
        }
        (None, None) => {
            let mut out = doc.trim_end_matches('\n').to_owned();
            out.push_str(&format!("\n\n{heading}\n\n{begin}\n{content}\n{end}\n"));
            Ok(out)
        }
        _ => Err(format!(
            "the markers `{begin}` and `{end}` are not a pair in order: mend them by hand"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::replace;

    const DOC: &str = "# Benchmarks\n\nProse before.\n\n## loop\n\nWhy the loop is fast.\n\
        <!-- report:loop begin -->\nold table\n<!-- report:loop end -->\n\nHistory after.\n";

    #[test]
    fn the_part_between_the_markers_is_replaced_and_the_prose_kept() {
        let out = replace(DOC, "loop", "## loop", "new table\n").expect("markers in order");
        assert_eq!(
            out,
            "# Benchmarks\n\nProse before.\n\n## loop\n\nWhy the loop is fast.\n\
             <!-- report:loop begin -->\nnew table\n<!-- report:loop end -->\n\nHistory after.\n"
        );
        // Running the report again changes nothing more.
        assert_eq!(replace(&out, "loop", "## loop", "new table"), Ok(out));
    }

    #[test]
    fn a_group_without_markers_gets_a_section_at_the_end() {
        let out = replace(DOC, "multicore", "## multicore", "its table").expect("appended");
        assert!(out.starts_with(DOC.trim_end()));
        assert!(out.ends_with(
            "\n\n## multicore\n\n<!-- report:multicore begin -->\nits table\n\
             <!-- report:multicore end -->\n"
        ));
    }

    #[test]
    fn broken_markers_are_an_error_not_a_guess() {
        let broken = DOC.replace("<!-- report:loop end -->", "");
        assert!(replace(&broken, "loop", "## loop", "x").is_err());
    }
}
