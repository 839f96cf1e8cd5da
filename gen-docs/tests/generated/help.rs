//! `--help` of every binary lists every option, subcommand and interactive command, each with
//! its one-line description; `help` in each shell lists every command with its description.

use std::process::{Command as Process, Stdio};

use gen_docs::{TOOLS, Tool, command_names};
use ntpkit_lab::workspace_binary;
use ntpkit_shell::CommandTable;

fn binary(tool: &Tool) -> std::path::PathBuf {
    workspace_binary(tool.package, tool.bin).expect("the tool builds")
}

fn run(tool: &Tool, args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    use std::io::Write;
    let mut child = Process::new(binary(tool))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    let out = child.wait_with_output().expect("finishes");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every command of `table` is on a line of `text` of the form `<indent><name>  <help>`.
fn assert_lists_commands(text: &str, table: &CommandTable, indent: &str, what: &str) {
    for name in command_names(table) {
        let spec = table
            .commands()
            .iter()
            .find(|c| c.name == name)
            .expect("listed");
        let listed = text.lines().any(|l| {
            l.strip_prefix(indent)
                .and_then(|l| l.strip_prefix(name))
                .is_some_and(|rest| rest.starts_with("  ") && rest.trim() == spec.help)
        });
        assert!(
            listed,
            "{what}: no line '{indent}{name}  {}':\n{text}",
            spec.help
        );
    }
}

#[test]
fn long_help_of_every_binary_lists_its_options_subcommands_and_commands() {
    for tool in &TOOLS {
        let (code, help, err) = run(tool, &["--help"], "");
        assert_eq!(code, Some(0), "{} --help: {err}", tool.bin);
        let cmd = tool.built_command();
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                assert!(
                    help.contains(&format!("--{long}")),
                    "{}: --{long}",
                    tool.bin
                );
            }
        }
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
            assert!(
                help.lines()
                    .any(|l| l.trim_start().starts_with(sub.get_name()) && l.contains(&about)),
                "{}: subcommand {} with '{about}'",
                tool.bin,
                sub.get_name()
            );
        }
        if let Some(table) = tool.table {
            assert_lists_commands(&help, &table(), "  ", &format!("{} --help", tool.bin));
        }
    }
}

#[test]
fn help_in_each_shell_lists_every_command_with_its_description() {
    for tool in TOOLS.iter().filter(|t| t.table.is_some()) {
        let table = (tool.table.expect("table"))();
        // From -c and from a pipe; no server is asked (help is local).
        let (code, text, err) = run(tool, &["-n", "-c", "help", "127.0.0.1"], "");
        assert_eq!(code, Some(0), "{}: {err}", tool.bin);
        assert!(
            text.starts_with(&format!("{} commands:\n", tool.bin)),
            "{text}"
        );
        assert_lists_commands(&text, &table, "", &format!("{} -c help", tool.bin));
        let (code, piped, err) = run(tool, &["-n", "127.0.0.1"], "help\n");
        assert_eq!(code, Some(0), "{}: {err}", tool.bin);
        assert_eq!(piped, text, "{}: help from a pipe", tool.bin);
    }
}
