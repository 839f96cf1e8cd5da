//! authspeed's `authdelay` line against the real daemons: both lab daemons reject the directive
//! (docs/authspeed.md says so), checked on scratch daemons so the lab is not touched.

use ntpkit_lab::{Daemon, ScratchDaemon, Tools};

#[test]
fn both_daemons_reject_the_authdelay_directive() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_authspeed"))
        .args(["-m", "-n", "100"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report = String::from_utf8(out.stdout).unwrap();
    let line = report
        .lines()
        .find(|l| l.starts_with("authdelay "))
        .expect("an authdelay line");
    for kind in [Daemon::Reference, Daemon::Ntpsec] {
        let daemon = ScratchDaemon::builder(kind)
            .conf_line(line)
            .start(Tools::get());
        let log = daemon.log();
        assert!(
            log.contains("syntax error") && log.contains("line 5"),
            "{kind:?} accepted '{line}':\n{log}"
        );
    }
}
