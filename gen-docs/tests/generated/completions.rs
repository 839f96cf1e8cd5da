//! Completion scripts: every option (long and short) and subcommand of every tool in bash, zsh
//! and fish; ntpq's and ntpdc's `-c` completes their command names. The bash scripts are also
//! run: bash's completion function is called as a shell calls it on TAB.

use std::process::Command as Process;

use clap_complete::Shell;
use gen_docs::complete::{SHELLS, script};
use gen_docs::{TOOLS, Tool, command_names, walk};

#[test]
fn every_option_and_subcommand_is_in_every_shells_script() {
    for tool in &TOOLS {
        let cmd = tool.built_command();
        for shell in SHELLS {
            let text = script(tool, shell);
            for (path, sub) in walk(&cmd) {
                if let Some(name) = path.get(1) {
                    assert!(
                        text.contains(name.as_str()),
                        "{} {shell}: subcommand {name}",
                        tool.bin
                    );
                }
                for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
                    if let Some(long) = arg.get_long() {
                        // fish writes `-l json`, bash and zsh `--json`.
                        let found = match shell {
                            Shell::Fish => text.contains(&format!("-l {long}")),
                            _ => text.contains(&format!("--{long}")),
                        };
                        assert!(found, "{} {shell}: --{long}", tool.bin);
                    }
                    if let Some(short) = arg.get_short() {
                        let found = match shell {
                            Shell::Fish => text.contains(&format!("-s {short}")),
                            _ => text.contains(&format!("-{short}")),
                        };
                        assert!(found, "{} {shell}: -{short}", tool.bin);
                    }
                }
            }
        }
    }
}

#[test]
fn dash_c_completes_every_shell_command_with_its_description() {
    for tool in TOOLS.iter().filter(|t| t.table.is_some()) {
        let table = (tool.table.expect("table"))();
        assert!(tool.command_arg().is_some(), "{}: a -c argument", tool.bin);
        for shell in SHELLS {
            let text = script(tool, shell);
            for name in command_names(&table) {
                assert!(text.contains(name), "{} {shell}: {name}", tool.bin);
                if shell != Shell::Bash {
                    let spec = table
                        .commands()
                        .iter()
                        .find(|c| c.name == name)
                        .expect("spec");
                    // zsh and fish show the description; both escape some characters.
                    let plain: String = spec
                        .help
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == ' ')
                        .collect();
                    assert!(
                        text.contains(plain.trim_end()),
                        "{} {shell}: help of {name}",
                        tool.bin
                    );
                }
            }
        }
    }
}

/// What bash's completion function offers for `words` (the last being completed).
fn bash_complete(tool: &Tool, words: &[&str]) -> Vec<String> {
    let text = script(tool, Shell::Bash);
    // The function the script registers with `complete -F` (`_ntp__keygen` for ntp-keygen).
    let function = text
        .split("complete -F ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("complete -F");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "{script}\nCOMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE=\"${{COMP_WORDS[*]}}\"; \
         COMP_POINT=${{#COMP_LINE}}; {function} {bin} '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script = text,
        words = quoted.join(" "),
        cword = words.len() - 1,
        bin = tool.bin,
        cur = words[words.len() - 1],
        prev = words[words.len() - 2],
    );
    let out = Process::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_options_and_shell_commands() {
    for tool in &TOOLS {
        let offered = bash_complete(tool, &[tool.bin, "--"]);
        let cmd = tool.built_command();
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                let want = format!("--{long}");
                assert!(
                    offered.contains(&want),
                    "{}: {want} not offered: {offered:?}",
                    tool.bin
                );
            }
        }
    }
    let ntpq = gen_docs::tool("ntpq").expect("ntpq");
    let offered = bash_complete(ntpq, &["ntpq", "-c", "mru"]);
    assert_eq!(offered, ["mrulist"]);
    let offered = bash_complete(ntpq, &["ntpq", "-n", "-c", "lp"]);
    assert_eq!(offered, ["lpassociations", "lpeers"]);
    let ntpdc = gen_docs::tool("ntpdc").expect("ntpdc");
    let offered = bash_complete(ntpdc, &["ntpdc", "--command", "addse"]);
    assert_eq!(offered, ["addserver"]);
}
