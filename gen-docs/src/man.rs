//! Man pages: clap_mangen's sections (name, synopsis, description, options, subcommands,
//! version) with ntpkit's own between them: COMMANDS (the shell's command table), EXIT STATUS
//! (docs/exit-codes.md), FILES, EXAMPLES and SEE ALSO.

use std::io;
use std::path::{Path, PathBuf};

use clap::Command;
use clap_mangen::Man;
use ntpkit_shell::CommandTable;
use roff::{Roff, bold, italic, roman};

use crate::exit_codes::{self, Section};
use crate::{TOOLS, Tool, walk};

/// One rendered page: its file name (`ntpq.1`, `ntpq-check.1`) and its roff source.
#[derive(Debug, Clone)]
pub struct Page {
    /// The file name in `man1/`.
    pub file: String,
    /// The roff source.
    pub roff: String,
}

fn man_for(cmd: Command) -> Man {
    let version = cmd.get_version().unwrap_or_default().to_owned();
    Man::new(cmd)
        .source(format!("ntpkit {version}"))
        .manual("ntpkit")
}

fn render(man: &Man, section: fn(&Man, &mut dyn io::Write) -> io::Result<()>) -> String {
    let mut buf = Vec::new();
    section(man, &mut buf).expect("writing to memory");
    String::from_utf8_lossy(&buf).into_owned()
}

/// The pages of `tool`: its own and one per subcommand.
#[must_use]
pub fn pages(tool: &Tool) -> Vec<Page> {
    let cmd = tool.built_command();
    let sections = exit_codes::for_tool(tool.bin);
    let mut pages = Vec::new();
    for (path, sub) in walk(&cmd) {
        let top = path.len() == 1;
        let man = man_for(sub.clone());
        let mut out = String::new();
        out.push_str(&render(&man, Man::render_title));
        out.push_str(&render(&man, Man::render_name_section));
        out.push_str(&render(&man, Man::render_synopsis_section));
        out.push_str(&render(&man, Man::render_description_section));
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            out.push_str(&render(&man, Man::render_options_section));
        }
        if sub.get_subcommands().any(|s| !s.is_hide_set()) {
            out.push_str(&render(&man, Man::render_subcommands_section));
        }
        let table = tool.table.filter(|_| top).map(|t| t());
        let mut roff = Roff::new();
        match &table {
            Some(table) => commands_section(&mut roff, table),
            None if sub.get_after_long_help().is_some() || sub.get_after_help().is_some() => {
                out.push_str(&render(&man, Man::render_extra_section));
            }
            None => {}
        }
        let own: Vec<&Section> = sections
            .iter()
            .filter(|s| if top { true } else { s.path == path })
            .collect();
        exit_status_section(&mut roff, &path, &own);
        if top {
            files_section(&mut roff, tool, &sub);
            examples_section(&mut roff, tool);
        }
        see_also_section(&mut roff, tool, &path);
        out.push_str(&roff.to_roff());
        out.push_str(&render(&man, Man::render_version_section));
        pages.push(Page {
            file: format!("{}.1", path.join("-")),
            roff: ascii(&out),
        });
    }
    pages
}

/// Roff with every character beyond ASCII written as a `\[uXXXX]` escape, so that any troff
/// reads the page whatever its input encoding (groff without preconv warns otherwise).
fn ascii(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len());
    for c in roff.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out
}

fn commands_section(roff: &mut Roff, table: &CommandTable) {
    let tool = table.tool();
    roff.control("SH", ["COMMANDS"]);
    roff.text([roman(format!(
        "Commands are given with -c (each runs on every host, in order), typed at the \
         {tool}> prompt, or read from standard input when it is not a terminal. Any unique \
         prefix of a name selects a command. help lists the commands and help COMMAND shows \
         a command's arguments; COMMAND > FILE writes one command's output to FILE."
    ))]);
    for name in crate::command_names(table) {
        let Some(spec) = table.commands().iter().find(|c| c.name == name) else {
            continue;
        };
        roff.control("TP", []);
        roff.text([bold(spec.name), roman(spec.synopsis())]);
        roff.text([roman(spec.help)]);
    }
}

fn exit_status_section(roff: &mut Roff, path: &[String], sections: &[&Section]) {
    if sections.is_empty() {
        return;
    }
    roff.control("SH", ["EXIT STATUS"]);
    for section in sections {
        if sections.len() > 1 || section.path != path {
            roff.control("SS", [section.title().as_str()]);
        }
        for status in &section.codes {
            roff.control("TP", []);
            roff.text([bold(status.code.to_string())]);
            roff.text([roman(exit_codes::plain(&status.meaning))]);
        }
    }
}

/// Paths that are option defaults (`/etc/ntp.keys`, `/run/ntpdate.lock`), with the option's
/// help, then the tool's own list.
fn files_section(roff: &mut Roff, tool: &Tool, cmd: &Command) {
    let mut files: Vec<(String, String)> = Vec::new();
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        for value in arg.get_default_values() {
            let value = value.to_string_lossy();
            if value.starts_with('/') {
                let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                let flag = arg
                    .get_long()
                    .map(|l| format!("--{l}"))
                    .or_else(|| arg.get_short().map(|s| format!("-{s}")))
                    .unwrap_or_default();
                files.push((value.into_owned(), format!("{help} (default of {flag})")));
            }
        }
    }
    for file in tool.files {
        if !files.iter().any(|(p, _)| p == file.path) {
            files.push((file.path.to_owned(), exit_codes::plain(file.what)));
        }
    }
    if files.is_empty() {
        return;
    }
    roff.control("SH", ["FILES"]);
    for (path, what) in files {
        roff.control("TP", []);
        roff.text([italic(path)]);
        roff.text([roman(what)]);
    }
}

fn examples_section(roff: &mut Roff, tool: &Tool) {
    if tool.examples.is_empty() {
        return;
    }
    roff.control("SH", ["EXAMPLES"]);
    for example in tool.examples {
        roff.control("PP", []);
        roff.text([roman(example.what)]);
        roff.control("RS", ["4"]);
        roff.control("nf", []);
        roff.text([bold(example.line)]);
        roff.control("fi", []);
        roff.control("RE", []);
    }
}

fn see_also_section(roff: &mut Roff, tool: &Tool, path: &[String]) {
    let mut refs: Vec<String> = Vec::new();
    if path.len() > 1 {
        refs.push(format!("{}(1)", path[..path.len() - 1].join("-")));
    }
    refs.extend(
        TOOLS
            .iter()
            .filter(|t| t.bin != tool.bin)
            .map(|t| format!("{}(1)", t.bin)),
    );
    refs.extend(["ntpd(8)", "ntp.conf(5)", "ntp.keys(5)"].map(str::to_owned));
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(refs.join(", "))]);
}

/// Writes every tool's pages to `dir/man1/`, returning the files written.
///
/// # Errors
/// The directory cannot be created or a file written.
pub fn write_all(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let man1 = dir.join("man1");
    std::fs::create_dir_all(&man1)?;
    let mut written = Vec::new();
    for tool in &TOOLS {
        for page in pages(tool) {
            let path = man1.join(&page.file);
            std::fs::write(&path, page.roff)?;
            written.push(path);
        }
    }
    Ok(written)
}
