//! Command-line surface of `authspeed`: version, help and usage errors.

#[test]
fn version_help_and_usage_errors() {
    ntpkit_lab::assert_cli_surface(
        env!("CARGO_BIN_EXE_authspeed").as_ref(),
        "authspeed",
        env!("CARGO_PKG_VERSION"),
    );
}
