//! Command-line surface of `ntp-keygen`: version, help and usage errors.

#[test]
fn version_help_and_usage_errors() {
    ntpkit_lab::assert_cli_surface(
        env!("CARGO_BIN_EXE_ntp-keygen").as_ref(),
        "ntp-keygen",
        env!("CARGO_PKG_VERSION"),
    );
}
