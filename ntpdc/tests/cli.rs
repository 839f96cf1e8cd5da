//! Command-line surface of `ntpdc`: version, help and usage errors.

#[test]
fn version_help_and_usage_errors() {
    ntpkit_lab::assert_cli_surface(
        env!("CARGO_BIN_EXE_ntpdc").as_ref(),
        "ntpdc",
        env!("CARGO_PKG_VERSION"),
    );
}
