//! `ntpkit-lab`: see `docs/lab.md` and `ntpkit-lab --help`.

fn main() -> std::process::ExitCode {
    ntpkit_lab::cli::main()
}
