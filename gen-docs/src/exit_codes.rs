//! The exit codes of every tool, read from `docs/exit-codes.md`: the page people read is the
//! one source, the man pages' EXIT STATUS sections are generated from it, and a lab test runs
//! each row's example to check the code against the binary.
//!
//! The page's convention: a `## tool` heading (or `## tool subcommand`, for a subcommand with
//! codes of its own), then a table whose first three columns are the code, its meaning and an
//! example command line in backquotes (empty where none can be run safely in the lab).

/// The page, as built into this crate.
pub const PAGE: &str = include_str!("../../docs/exit-codes.md");

/// One row: a code, what it means, and a command line that produces it in the lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitStatus {
    /// The exit code.
    pub code: u8,
    /// What it means, as the page says it (Markdown).
    pub meaning: String,
    /// A command line that exits with `code` in the lab's client namespace.
    pub example: Option<String>,
}

/// One `## …` section of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading's words: the binary, then any subcommand (`["ntpq", "check"]`).
    pub path: Vec<String>,
    /// The rows of its table.
    pub codes: Vec<ExitStatus>,
}

impl Section {
    /// The heading as written, `ntpq check`.
    #[must_use]
    pub fn title(&self) -> String {
        self.path.join(" ")
    }
}

/// Reads the sections of a page in the convention above; sections without a table (the
/// introduction) are left out.
///
/// # Errors
/// A table row whose code is not a number from 0 to 255, naming the line.
pub fn parse(text: &str) -> Result<Vec<Section>, String> {
    let mut sections: Vec<Section> = Vec::new();
    let mut current: Option<Section> = None;
    for (n, line) in text.lines().enumerate() {
        if let Some(title) = line.strip_prefix("## ") {
            sections.extend(current.take().filter(|s| !s.codes.is_empty()));
            let path = title
                .replace('`', "")
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            current = Some(Section {
                path,
                codes: Vec::new(),
            });
            continue;
        }
        let Some(section) = current.as_mut() else {
            continue;
        };
        let Some(row) = line.trim().strip_prefix('|') else {
            continue;
        };
        let cells: Vec<&str> = row
            .trim_end_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        let first = cells.first().copied().unwrap_or_default();
        if first == "code" || first.starts_with("---") {
            continue;
        }
        let code = first
            .parse::<u8>()
            .map_err(|_| format!("line {}: '{first}' is not an exit code", n + 1))?;
        let example = cells
            .get(2)
            .map(|c| c.trim_matches('`').trim())
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        section.codes.push(ExitStatus {
            code,
            meaning: cells.get(1).copied().unwrap_or_default().to_owned(),
            example,
        });
    }
    sections.extend(current.filter(|s| !s.codes.is_empty()));
    Ok(sections)
}

/// The sections of `docs/exit-codes.md`.
///
/// # Panics
/// The page breaks its own convention (this crate's tests parse it, so they fail first).
#[must_use]
pub fn sections() -> Vec<Section> {
    parse(PAGE).unwrap_or_else(|e| panic!("docs/exit-codes.md: {e}"))
}

/// The sections about binary `bin`: its own and its subcommands'.
#[must_use]
pub fn for_tool(bin: &str) -> Vec<Section> {
    sections()
        .into_iter()
        .filter(|s| s.path.first().is_some_and(|b| b == bin))
        .collect()
}

/// Markdown inline code and emphasis as plain text, for man pages.
#[must_use]
pub fn plain(markdown: &str) -> String {
    markdown.replace(['`', '*'], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_rows_and_examples() {
        let page = "# Exit codes\n\nintro | not a table\n\n## `tool`\n\n| code | meaning | example |\n\
                    |---|---|---|\n| 0 | fine | `tool -q` |\n| 3 | no `answer` | |\n\n\
                    ## tool sub\n\n| code | meaning | example |\n|---|---|---|\n| 2 | warning | `tool sub` |\n";
        let s = parse(page).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].path, ["tool"]);
        assert_eq!(s[0].codes[0].example.as_deref(), Some("tool -q"));
        assert_eq!(s[0].codes[1].code, 3);
        assert_eq!(plain(&s[0].codes[1].meaning), "no answer");
        assert_eq!(s[0].codes[1].example, None);
        assert_eq!(s[1].title(), "tool sub");
        assert!(parse("## t\n| x | y |\n").is_err());
    }
}
