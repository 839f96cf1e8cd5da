//! Reading the docs pages as the tests check them: the command lines of their examples and
//! the commands their headings name.
//!
//! The convention (docs/architecture.md, "Documentation"):
//! - an example is a line `$ command line` inside a fenced block, written as typed in a POSIX
//!   shell (quotes around `-c` commands that have arguments); what follows is its real output;
//! - a line runs one of our tools when a pipeline stage starts with the tool's name (or a path
//!   ending in it, or `ntpkit-lab exec client -- <tool>`); `ntpkit-lab ref …` and
//!   `ntpkit-lab ntpsec …` run the reference tools and are not ours;
//! - in the page of a tool with a command shell, a heading of inline code names commands:
//!   `` ### `peers` `` or `` ### `addserver, addpeer` ``.

use crate::{TOOLS, Tool};

/// One example command line of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleLine {
    /// 1-based line number.
    pub line: usize,
    /// The text after `$ `.
    pub text: String,
}

/// The `$ …` lines inside fenced blocks of a Markdown page.
#[must_use]
pub fn example_lines(markdown: &str) -> Vec<ExampleLine> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (n, line) in markdown.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced && let Some(text) = line.strip_prefix("$ ") {
            out.push(ExampleLine {
                line: n + 1,
                text: text.to_owned(),
            });
        }
    }
    out
}

/// Splits a POSIX shell line into the words of each pipeline stage or list element (`|`, `;`,
/// `&&`, `||`), with quotes and backslashes resolved; redirections (`> file`, `2>&1`) and
/// comments are dropped.
///
/// # Errors
/// An unterminated quote.
pub fn split(line: &str) -> Result<Vec<Vec<String>>, String> {
    let mut words = Words::default();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                words.in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(q) => words.word.push(q),
                        None => return Err(format!("unterminated ' in: {line}")),
                    }
                }
            }
            '"' => {
                words.in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => words.word.push(e),
                            Some(other) => {
                                words.word.push('\\');
                                words.word.push(other);
                            }
                            None => return Err(format!("unterminated \" in: {line}")),
                        },
                        Some(q) => words.word.push(q),
                        None => return Err(format!("unterminated \" in: {line}")),
                    }
                }
            }
            '\\' => {
                words.in_word = true;
                if let Some(e) = chars.next() {
                    words.word.push(e);
                }
            }
            '#' if !words.in_word => break,
            ' ' | '\t' => words.end_word(),
            '|' | ';' | '&' => {
                words.end_word();
                while chars.peek().is_some_and(|n| matches!(n, '|' | '&')) {
                    chars.next();
                }
                words.stages.push(Vec::new());
            }
            '>' | '<' => {
                // `2>`: the digits before belong to the redirection.
                if words.in_word && words.word.chars().all(|d| d.is_ascii_digit()) {
                    words.word.clear();
                    words.in_word = false;
                } else {
                    words.end_word();
                }
                if chars.peek() == Some(&'&') {
                    // `>&2`: no file name follows.
                    chars.next();
                    while chars.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                    }
                    continue;
                }
                while chars.peek() == Some(&'>') {
                    chars.next();
                }
                words.redirect = true;
            }
            other => {
                words.in_word = true;
                words.word.push(other);
            }
        }
    }
    words.end_word();
    words.stages.retain(|s| !s.is_empty());
    Ok(words.stages)
}

/// The state of [`split`].
#[derive(Debug)]
struct Words {
    stages: Vec<Vec<String>>,
    word: String,
    in_word: bool,
    /// The next word is a redirection's file name, not an argument.
    redirect: bool,
}

impl Default for Words {
    fn default() -> Self {
        Self {
            stages: vec![Vec::new()],
            word: String::new(),
            in_word: false,
            redirect: false,
        }
    }
}

impl Words {
    fn end_word(&mut self) {
        if !self.in_word {
            return;
        }
        let word = std::mem::take(&mut self.word);
        self.in_word = false;
        if self.redirect {
            self.redirect = false;
        } else if let Some(stage) = self.stages.last_mut() {
            stage.push(word);
        }
    }
}

/// One run of one of our tools found in an example line: the tool and its arguments (without
/// the program name).
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The tool.
    pub tool: &'static Tool,
    /// Its arguments.
    pub args: Vec<String>,
}

/// The runs of our tools in one example line.
///
/// # Errors
/// The line is not valid shell ([`split`]).
pub fn invocations(line: &str) -> Result<Vec<Invocation>, String> {
    let mut out = Vec::new();
    for stage in split(line)? {
        let mut words = stage.as_slice();
        // Environment assignments before the program.
        while words
            .first()
            .is_some_and(|w| w.contains('=') && !w.starts_with('-'))
        {
            words = &words[1..];
        }
        if let Some(first) = words.first()
            && base_name(first) == "ntpkit-lab"
        {
            // `ntpkit-lab exec HOST -- program …` runs the program; `ref`/`ntpsec` run others'.
            let Some(dashes) = words.iter().position(|w| w == "--") else {
                continue;
            };
            if words.get(1).map(String::as_str) != Some("exec") {
                continue;
            }
            words = &words[dashes + 1..];
        }
        let Some((program, args)) = words.split_first() else {
            continue;
        };
        if let Some(tool) = TOOLS.iter().find(|t| t.bin == base_name(program)) {
            out.push(Invocation {
                tool,
                args: args.to_vec(),
            });
        }
    }
    Ok(out)
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The commands a heading of inline code names: `` ### `addserver, addpeer` `` gives
/// `addserver` and `addpeer`. Other headings name none.
#[must_use]
pub fn heading_commands(markdown: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in markdown.lines().enumerate() {
        let Some(title) = line.strip_prefix("### ") else {
            continue;
        };
        let title = title.trim();
        let Some(code) = title
            .strip_prefix('`')
            .and_then(|t| t.strip_suffix('`'))
            .filter(|t| !t.contains('`'))
        else {
            continue;
        };
        for name in code.split(',') {
            out.push((n + 1, name.trim().to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_like_a_shell() {
        let s = |l: &str| split(l).unwrap();
        assert_eq!(
            s(r#"ntpq -n -c "rv 0 a,b" -c 'pe > x' 10.77.0.3"#),
            [["ntpq", "-n", "-c", "rv 0 a,b", "-c", "pe > x", "10.77.0.3"]]
        );
        assert_eq!(
            s(r#"printf "a\nb\n" > f.conf; ntpq -c x 2>&1 | head # note"#),
            vec![
                vec!["printf", r"a\nb\n"],
                vec!["ntpq", "-c", "x"],
                vec!["head"]
            ]
        );
        assert_eq!(s("a && b"), [["a"], ["b"]]);
        assert_eq!(s(r"echo \$?"), [["echo", "$?"]]);
        assert!(split("ntpq -c \"rv").is_err());
    }

    #[test]
    fn our_tools_in_a_line() {
        let found = |l: &str| -> Vec<(&str, Vec<String>)> {
            invocations(l)
                .unwrap()
                .into_iter()
                .map(|i| (i.tool.bin, i.args))
                .collect()
        };
        assert_eq!(found("ntpq -p h")[0].0, "ntpq");
        assert_eq!(found("TZ=UTC target/debug/ntpdc -l h")[0].1, ["-l", "h"]);
        assert_eq!(
            found("ntpkit-lab exec client -- target/debug/ntpdate -q h")[0].0,
            "ntpdate"
        );
        assert!(found("ntpkit-lab ref ntpq -p h").is_empty());
        assert!(found("cat ntp.keys").is_empty());
        assert_eq!(found("printf 'rv\\n' | ntpq -n h")[0].1, ["-n", "h"]);
    }

    #[test]
    fn examples_and_headings_of_a_page() {
        let page = "# t\n\n### `peers`\n\n```\n$ ntpq -p\nout\n```\n\n$ not fenced\n\n\
                    ### `a, b`\n### Words `x`\n";
        assert_eq!(
            example_lines(page),
            [ExampleLine {
                line: 6,
                text: "ntpq -p".into()
            }]
        );
        let names: Vec<String> = heading_commands(page).into_iter().map(|(_, n)| n).collect();
        assert_eq!(names, ["peers", "a", "b"]);
    }
}
