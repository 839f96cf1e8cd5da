//! The man pages, rendered by groff (as `man` does) and read as text: every option of every
//! (sub)command, every shell command with its description, every documented exit code, the
//! files and examples; and no troff warnings.

use std::io::Write;
use std::process::{Command as Process, Stdio};

use clap::Command;
use gen_docs::exit_codes;
use gen_docs::man::{Page, pages};
use gen_docs::{TOOLS, Tool, command_names, walk};

/// groff's plain-text rendering of a page (no line breaks before 1000 columns), failing on any
/// troff warning.
fn render(page: &Page) -> String {
    let mut child = Process::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-rLL=1000n", "-P-cbou"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("groff (package groff-base) renders man pages");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.roff.as_bytes())
        .expect("write to groff");
    let out = child.wait_with_output().expect("groff runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "{}: groff: {stderr}",
        page.file
    );
    // Hyphens and minus signs as typed.
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .replace(['\u{2010}', '\u{2011}', '\u{2212}'], "-")
        .replace(['\u{2018}', '\u{2019}'], "'")
        .replace(['\u{201c}', '\u{201d}'], "\"")
}

/// The lines of a section: from its heading (at column 0) to the next heading.
fn section<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| *l != name)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect()
}

fn page_for<'a>(all: &'a [Page], path: &[String]) -> &'a Page {
    let file = format!("{}.1", path.join("-"));
    all.iter()
        .find(|p| p.file == file)
        .unwrap_or_else(|| panic!("no page {file}"))
}

/// The tags of an options section: `-c, --command <cmd>`.
fn option_tags(text: &str) -> Vec<String> {
    section(text, "OPTIONS")
        .into_iter()
        .filter(|l| l.starts_with("       ") && !l.starts_with("        "))
        .map(|l| l.trim().to_owned())
        .collect()
}

fn check_options(tool: &Tool, path: &[String], cmd: &Command, text: &str) {
    let tags = option_tags(text);
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let found = tags.iter().any(|tag| {
            let mut words = tag.split([',', ' ', '=']).filter(|w| !w.is_empty());
            match (arg.get_long(), arg.get_short()) {
                (Some(long), _) => words.any(|w| w == format!("--{long}")),
                (None, Some(short)) => words.any(|w| w == format!("-{short}")),
                (None, None) => {
                    let names = arg.get_value_names().unwrap_or_default();
                    names.iter().any(|n| tag.contains(n.as_str()))
                }
            }
        });
        assert!(
            found,
            "{} ({}): option {:?} not in OPTIONS: {tags:?}",
            path.join(" "),
            tool.bin,
            arg.get_id()
        );
        if let Some(help) = arg.get_long_help().or_else(|| arg.get_help()) {
            let first = help.to_string();
            let first = first
                .lines()
                .next()
                .unwrap_or_default()
                .trim_end_matches('.');
            assert!(
                text.contains(first),
                "{}: help of {:?} missing: {first}",
                path.join(" "),
                arg.get_id()
            );
        }
    }
}

#[test]
fn every_option_and_subcommand_is_in_the_man_pages() {
    for tool in &TOOLS {
        let all = pages(tool);
        let cmd = tool.built_command();
        let tree = walk(&cmd);
        assert_eq!(all.len(), tree.len(), "{}: one page per command", tool.bin);
        for (path, sub) in &tree {
            let text = render(page_for(&all, path));
            assert!(
                text.contains(&format!("NAME\n       {}", path.join("-"))),
                "{text}"
            );
            check_options(tool, path, sub, &text);
            for child in sub
                .get_subcommands()
                .filter(|s| s.get_name() != "help" && !s.is_hide_set())
            {
                let listed = section(&text, "SUBCOMMANDS");
                assert!(
                    listed.iter().any(|l| l.contains(child.get_name())),
                    "{}: subcommand {} not listed",
                    path.join(" "),
                    child.get_name()
                );
            }
        }
    }
}

#[test]
fn every_interactive_command_is_in_the_man_page_with_its_description() {
    let mut checked = 0;
    for tool in TOOLS.iter().filter(|t| t.table.is_some()) {
        let table = (tool.table.expect("table"))();
        let text = render(page_for(&pages(tool), &[tool.bin.to_owned()]));
        let commands = section(&text, "COMMANDS");
        for name in command_names(&table) {
            let spec = table
                .commands()
                .iter()
                .find(|c| c.name == name)
                .expect("listed");
            // `.TP`: the tag on a line, the description under it, or beside a short tag.
            let tag = format!("       {}{}", spec.name, spec.synopsis());
            let at = commands
                .iter()
                .position(|l| {
                    l.starts_with(&tag) && l[tag.len()..].chars().next().is_none_or(|c| c == ' ')
                })
                .unwrap_or_else(|| panic!("{}: no '{tag}' in COMMANDS", tool.bin));
            let beside = commands[at][tag.len()..].trim();
            let description = if beside.is_empty() {
                commands.get(at + 1).map_or("", |l| l.trim())
            } else {
                beside
            };
            assert_eq!(description, spec.help, "{}: {name}", tool.bin);
            checked += 1;
        }
    }
    assert!(
        checked > 100,
        "ntpq and ntpdc have over 100 commands between them"
    );
}

#[test]
fn exit_codes_files_and_examples_are_in_the_man_pages() {
    for tool in &TOOLS {
        let text = render(page_for(&pages(tool), &[tool.bin.to_owned()]));
        let sections = exit_codes::for_tool(tool.bin);
        assert!(
            sections.iter().any(|s| s.path == [tool.bin]),
            "docs/exit-codes.md has no section for {}",
            tool.bin
        );
        let status = section(&text, "EXIT STATUS").join("\n");
        for s in &sections {
            for code in &s.codes {
                let first_words: String = exit_codes::plain(&code.meaning)
                    .split_whitespace()
                    .take(4)
                    .collect::<Vec<_>>()
                    .join(" ");
                assert!(
                    status.contains(&format!("       {}", code.code))
                        && status.contains(&first_words),
                    "{}: exit code {} ({first_words}) not in EXIT STATUS:\n{status}",
                    tool.bin,
                    code.code
                );
            }
        }
        let files = section(&text, "FILES").join("\n");
        for file in tool.files {
            assert!(files.contains(file.path), "{}: {}", tool.bin, file.path);
        }
        let cmd = (tool.command)();
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            for value in arg.get_default_values() {
                let value = value.to_string_lossy();
                if value.starts_with('/') {
                    assert!(files.contains(value.as_ref()), "{}: {value}", tool.bin);
                }
            }
        }
        assert!(!tool.examples.is_empty(), "{}: no examples", tool.bin);
        let examples = section(&text, "EXAMPLES").join("\n");
        for example in tool.examples {
            assert!(
                examples.contains(example.line),
                "{}: {}",
                tool.bin,
                example.line
            );
        }
    }
}

#[test]
fn man_page_examples_parse_with_the_tools_own_definitions() {
    for tool in &TOOLS {
        for example in tool.examples {
            crate::pages::check_line(example.line, &format!("{} man page", tool.bin));
        }
    }
}
