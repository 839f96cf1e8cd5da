//! ntpkit-shell: the interactive command shell that `ntpq` and `ntpdc` share.
//!
//! The classic tools read commands from their command line (`-c`), from a terminal with a
//! prompt, or from a pipe without one. This crate does the part that is the same for both:
//!
//! - [`CommandTable`] of [`CommandSpec`]s: names, typed arguments ([`ArgSpec`]) and help text;
//!   any unique prefix selects a command, a full name always wins ([`CommandTable::lookup`]);
//!   each table reads lines in its tool's [`Dialect`] ([`Dialect::NTPQ`]: seven tokens, quotes;
//!   [`Dialect::NTPDC`]: eighteen tokens, fourteen arguments, no quotes);
//! - [`parse_line`]: the classic tokenizer (quotes, `:config`'s rest-of-line argument), typed
//!   arguments ([`Arg`]: text, unsigned, `&N` association index, signed, `-4`/`-6`, addresses
//!   after an optional `-4`/`-6`, and the rest of the words for commands that take trailing
//!   options) and `> file` redirection, with the classic messages (`***Command `x' unknown`);
//! - [`Shell`] over a tool's [`Handler`]: answers `?`/`help [command]` itself (a tool may give
//!   the answer its own form, such as JSON), opens the redirection file, runs the command,
//!   prints a failure on one line (`ntpq: …`) and keeps the highest exit status;
//! - [`Input`]: a line editor (prompt `<tool>> `, history, tab completion of command names)
//!   on a terminal, plain lines without a prompt from a pipe; [`read_secret`] for passwords.
//!
//! Usage errors found while parsing a line (unknown or ambiguous command, missing or bad
//! argument) set exit status [`USAGE_STATUS`] (2), like the tools' command-line errors.

mod input;
mod line;
mod run;
mod table;

pub use input::{CommandCompleter, Input, read_secret, stdin_is_interactive};
pub use line::{Arg, Invocation, IpVersion, LineError, MAX_ARGS, MAX_LINE, parse_line, tokenize};
pub use run::{Flow, Handler, Shell, USAGE_STATUS, line_error};
pub use table::{
    ArgKind, ArgSpec, CommandSpec, CommandTable, Dialect, HELP_COMMANDS, Lookup, build,
};
