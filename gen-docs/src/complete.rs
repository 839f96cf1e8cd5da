//! Shell completions (bash, zsh, fish) from each tool's clap definition; for ntpq and ntpdc the
//! `-c` argument completes the names of the shell's commands, each with its one-line help
//! where the shell shows descriptions (zsh, fish).

use std::io;
use std::path::{Path, PathBuf};

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Arg, Command};
use clap_complete::Shell;

use crate::{TOOLS, Tool};

/// The shells completions are written for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// The definition completions are generated from: the tool's own, with the names of its
/// interactive commands as the values `-c` suggests (the tool itself still accepts any line).
#[must_use]
pub fn completion_command(tool: &Tool) -> Command {
    let mut cmd = (tool.command)().bin_name(tool.bin);
    if let (Some(table), Some(id)) = (tool.table, tool.command_arg()) {
        let table = table();
        let values: Vec<PossibleValue> = crate::command_names(&table)
            .into_iter()
            .filter_map(|name| table.commands().iter().find(|c| c.name == name))
            .map(|spec| PossibleValue::new(spec.name).help(spec.help))
            .collect();
        cmd = cmd.mut_arg(id, |arg: Arg| {
            arg.value_parser(PossibleValuesParser::new(values))
        });
    }
    cmd
}

/// Where a shell looks for a tool's completion file, relative to the completions directory
/// (and, after `share/`, to an installation prefix).
#[must_use]
pub fn file_name(shell: Shell, bin: &str) -> String {
    match shell {
        Shell::Zsh => format!("zsh/_{bin}"),
        Shell::Fish => format!("fish/{bin}.fish"),
        _ => format!("bash/{bin}"),
    }
}

/// The completion script of `tool` for `shell`.
#[must_use]
pub fn script(tool: &Tool, shell: Shell) -> String {
    let mut cmd = completion_command(tool);
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, tool.bin, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Writes every tool's scripts under `dir` (`bash/`, `zsh/`, `fish/`), returning the files.
///
/// # Errors
/// A directory cannot be created or a file written.
pub fn write_all(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for tool in &TOOLS {
        for shell in SHELLS {
            let path = dir.join(file_name(shell, tool.bin));
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, script(tool, shell))?;
            written.push(path);
        }
    }
    Ok(written)
}
