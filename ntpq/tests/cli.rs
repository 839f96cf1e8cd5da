//! Command-line surface of `ntpq`: version, help and usage errors.

#[test]
fn version_help_and_usage_errors() {
    ntpkit_lab::assert_cli_surface(
        env!("CARGO_BIN_EXE_ntpq").as_ref(),
        "ntpq",
        env!("CARGO_PKG_VERSION"),
    );
}

#[test]
fn tui_needs_a_terminal_and_takes_no_commands() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ntpq"))
        .args(["--tui", "-n", "127.0.0.1"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run ntpq");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "ntpq: tui: standard output is not a terminal\n"
    );
    for args in [["--tui", "-p"], ["--tui", "--json"]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ntpq"))
            .args(args)
            .output()
            .expect("run ntpq");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}
