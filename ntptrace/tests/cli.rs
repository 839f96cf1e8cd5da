//! Command-line surface of `ntptrace`: version, help and usage errors.

#[test]
fn version_help_and_usage_errors() {
    ntpkit_lab::assert_cli_surface(
        env!("CARGO_BIN_EXE_ntptrace").as_ref(),
        "ntptrace",
        env!("CARGO_PKG_VERSION"),
    );
}
