//! `gen-docs man|completions|all DIR`: writes ntpkit's man pages and shell completions;
//! `gen-docs packages` lists the packages of the binaries (for scripts/install).

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
    /// Print the Cargo package of every binary, one a line (for scripts/install; no DIR).
    Packages,
}

/// Generates ntpkit's man pages and shell completions from the tools' own definitions.
#[derive(Debug, Parser)]
#[command(name = "gen-docs", version)]
struct Cli {
    /// What to generate.
    #[arg(value_enum)]
    what: What,
    /// Output directory (created if missing).
    dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.what == What::Packages {
        for tool in &gen_docs::TOOLS {
            println!("{}", tool.package);
        }
        return ExitCode::SUCCESS;
    }
    let Some(dir) = cli.dir else {
        eprintln!("gen-docs: an output directory is needed");
        return ExitCode::from(2);
    };
    let result = match cli.what {
        What::Packages => Ok(Vec::new()),
        What::Man => gen_docs::man::write_all(&dir),
        What::Completions => gen_docs::complete::write_all(&dir),
        What::All => gen_docs::man::write_all(&dir.join("man")).and_then(|mut files| {
            files.extend(gen_docs::complete::write_all(&dir.join("completions"))?);
            Ok(files)
        }),
    };
    match result {
        Ok(files) => {
            println!(
                "gen-docs: wrote {} files under {}",
                files.len(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-docs: {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
