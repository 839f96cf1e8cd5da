//! Checks of everything generated from the tools' definitions, and of the docs against them.
//! Nothing here needs the lab; the binaries are built with `ntpkit_lab::workspace_binary`.

// Man pages: every option, subcommand, shell command, exit code, file and example.
mod man;
// Completions: every option and subcommand for bash, zsh and fish; ntpq/ntpdc `-c` names.
mod completions;
// docs/*.md and README.md: examples parse, commands exist, every command documented.
mod pages;
// `--help` of every binary and `help` in each shell list every command.
mod help;
// scripts/install into a temporary prefix.
mod install;
