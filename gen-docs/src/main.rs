//! `gen-docs man|completions|all DIR`: writes ntpkit's man pages and shell completions.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum What {
    /// Man pages, in DIR/man1.
    Man,
    /// Completions, in DIR/bash, DIR/zsh and DIR/fish.
    Completions,
    /// Both: DIR/man/man1 and DIR/completions/….
    All,
}

/// Generates ntpkit's man pages and shell completions from the tools' own definitions.
#[derive(Debug, Parser)]
#[command(name = "gen-docs", version)]
struct Cli {
    /// What to generate.
    #[arg(value_enum)]
    what: What,
    /// Output directory (created if missing).
    dir: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.what {
        What::Man => gen_docs::man::write_all(&cli.dir),
        What::Completions => gen_docs::complete::write_all(&cli.dir),
        What::All => gen_docs::man::write_all(&cli.dir.join("man")).and_then(|mut files| {
            files.extend(gen_docs::complete::write_all(&cli.dir.join("completions"))?);
            Ok(files)
        }),
    };
    match result {
        Ok(files) => {
            println!(
                "gen-docs: wrote {} files under {}",
                files.len(),
                cli.dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-docs: {}: {e}", cli.dir.display());
            ExitCode::FAILURE
        }
    }
}
