//! The docs never drift from the code: every example line of docs/*.md and README.md that runs
//! one of our tools parses with that tool's clap definition, each `-c` command is a command of
//! its table (with valid arguments), hosts are hosts (not a `-c` command's unquoted words), the
//! commands a tool page's headings name exist, and every command of a table is documented in
//! its tool's page. The convention is in docs/architecture.md ("Documentation").

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use gen_docs::pages::{ExampleLine, example_lines, heading_commands, invocations};
use gen_docs::{TOOLS, Tool, command_names};
use ntpkit_shell::parse_line;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// README.md and every docs/*.md, with their text.
pub fn documents() -> Vec<(String, String)> {
    let root = root();
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
        .into_iter()
        .map(|p| {
            let name = p
                .strip_prefix(&root)
                .expect("under root")
                .display()
                .to_string();
            let text = std::fs::read_to_string(&p).expect("readable");
            (name, text)
        })
        .collect()
}

/// Whether `word` can be a host argument: an address (with an optional port), or a name with
/// a dot, or `localhost`. Catches `-c rv 0 stratum 10.77.0.1` written without quotes.
fn looks_like_host(word: &str) -> bool {
    let bare = word
        .strip_prefix('[')
        .and_then(|w| w.split_once(']'))
        .map_or(word, |(w, _)| w);
    if bare.parse::<std::net::IpAddr>().is_ok() || bare == "localhost" {
        return true;
    }
    let name = bare.rsplit_once(':').map_or(bare, |(h, _)| h);
    name.parse::<std::net::IpAddr>().is_ok()
        || (name.contains('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && !name.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// The `-c` commands of a parsed line, in order.
fn shell_commands(tool: &Tool, matches: &ArgMatches) -> Vec<String> {
    tool.command_arg()
        .and_then(|id| matches.get_many::<String>(id.as_str()))
        .map(|v| v.cloned().collect())
        .unwrap_or_default()
}

/// Checks one command line; returns the full names of the shell commands it runs, per tool.
pub fn check_line(line: &str, place: &str) -> Vec<(&'static str, &'static str)> {
    let mut ran = Vec::new();
    let runs = invocations(line).unwrap_or_else(|e| panic!("{place}: {e}"));
    for run in runs {
        let tool = run.tool;
        let argv = std::iter::once(tool.bin.to_owned()).chain(run.args.iter().cloned());
        let matches = match tool.built_command().try_get_matches_from(argv) {
            Ok(m) => m,
            Err(e)
                if matches!(
                    e.kind(),
                    clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
                ) =>
            {
                continue;
            }
            Err(e) => panic!("{place}: `{line}`: {}: {e}", tool.bin),
        };
        let Some(table) = tool.table.map(|t| t()) else {
            continue;
        };
        for command in shell_commands(tool, &matches) {
            match parse_line(&table, &command) {
                Ok(Some(inv)) => ran.push((tool.bin, inv.command.name)),
                Ok(None) => panic!("{place}: `{line}`: empty -c command"),
                Err(e) => panic!("{place}: `{line}`: -c \"{command}\": {e}"),
            }
        }
        let cmd = tool.built_command();
        for positional in cmd.get_positionals() {
            for host in matches
                .get_raw(positional.get_id().as_str())
                .into_iter()
                .flatten()
            {
                let host = host.to_string_lossy();
                assert!(
                    looks_like_host(&host),
                    "{place}: `{line}`: '{host}' is not a host: quote each -c command with its arguments"
                );
            }
        }
    }
    ran
}

fn lines_of(name: &str, text: &str) -> Vec<(String, ExampleLine)> {
    example_lines(text)
        .into_iter()
        .map(|l| (format!("{name}:{}", l.line), l))
        .collect()
}

#[test]
fn every_example_of_our_tools_parses_with_the_tools_own_definitions() {
    let mut checked = BTreeSet::new();
    for (name, text) in documents() {
        for (place, line) in lines_of(&name, &text) {
            if !invocations(&line.text).unwrap_or_default().is_empty() {
                check_line(&line.text, &place);
                checked.insert(name.clone());
            }
        }
    }
    for page in [
        "docs/ntpq.md",
        "docs/ntpdc.md",
        "docs/ntpdate.md",
        "README.md",
    ] {
        assert!(
            checked.contains(page),
            "no example of our tools found in {page}"
        );
    }
}

#[test]
fn commands_named_by_tool_page_headings_exist() {
    for tool in TOOLS.iter().filter(|t| t.table.is_some()) {
        let table = (tool.table.expect("table"))();
        let path = root().join("docs").join(tool.page());
        let text = std::fs::read_to_string(&path).expect("tool page");
        for (line, name) in heading_commands(&text) {
            assert!(
                table.commands().iter().any(|c| c.name == name),
                "docs/{}:{line}: `{name}` is not a {} command (headings use full names)",
                tool.page(),
                tool.bin
            );
        }
    }
}

#[test]
fn every_command_of_a_table_is_documented_in_its_tool_page() {
    for tool in TOOLS.iter().filter(|t| t.table.is_some()) {
        let table = (tool.table.expect("table"))();
        let page = tool.page();
        let text = std::fs::read_to_string(root().join("docs").join(&page)).expect("tool page");
        let mut documented: BTreeSet<&str> = BTreeSet::new();
        for (_, name) in heading_commands(&text) {
            if let Some(c) = table.commands().iter().find(|c| c.name == name) {
                documented.insert(c.name);
            }
        }
        for (place, line) in lines_of(&page, &text) {
            for (bin, name) in check_line(&line.text, &place) {
                if bin == tool.bin {
                    documented.insert(name);
                }
            }
        }
        let missing: Vec<&str> = command_names(&table)
            .into_iter()
            .filter(|n| !documented.contains(n))
            .collect();
        assert!(
            missing.is_empty(),
            "docs/{page} documents no example or heading for: {missing:?}"
        );
    }
}

#[test]
fn the_readme_indexes_every_docs_page() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    for (name, _) in documents()
        .into_iter()
        .filter(|(n, _)| n.starts_with("docs/"))
    {
        assert!(
            readme.contains(&format!("]({name})")),
            "README.md does not link {name}"
        );
    }
}

#[test]
fn hosts_and_quoted_commands() {
    for host in [
        "10.77.0.3",
        "fd77::2",
        "[fd77::2]:123",
        "127.0.0.1:10123",
        "time.example.net",
        "localhost",
    ] {
        assert!(looks_like_host(host), "{host}");
    }
    for word in ["0", "45225", "&1", "stratum,refid", "device", "1.2"] {
        assert!(!looks_like_host(word), "{word}");
    }
}
