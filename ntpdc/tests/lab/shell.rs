//! ntpdc on the shell it shares with ntpq: the interactive prompt through a pty, the `help`
//! listing against the reference ntpdc, `> file`, and dates in the local time zone.

use ntpkit_lab::{Lab, strip_escapes};

use crate::support::{ours, theirs};

const NTPDC: &str = env!("CARGO_BIN_EXE_ntpdc");

#[test]
fn interactive_shell_through_a_pty() {
    let lab = Lab::get();
    // Typed one line at a time, as a person would: a command, the up arrow to repeat it, an
    // abbreviation with an argument, tab completion, `?` alone and for one command, an
    // ambiguous prefix, quit (and a command after it that must not run).
    let script = format!(
        "(sleep 0.5; printf 'sysinfo\\r'; sleep 0.4; printf '\\033[A\\r'; sleep 0.4; \
         printf 'loop oneline\\r'; sleep 0.4; printf 'hostn\\t\\r'; sleep 0.3; printf '?\\r'; \
         sleep 0.3; printf '? addser\\r'; sleep 0.3; printf 'sys\\r'; sleep 0.3; \
         printf 'quit\\r'; sleep 0.3; printf 'peers\\r'; sleep 0.4) \
         | script -qfec '{NTPDC} -n {}' /dev/null",
        lab.ntp3().v4
    );
    let out = lab.command("sh").args(["-c", &script]).run();
    let screen = strip_escapes(&out.stdout).replace('\r', "");
    assert!(screen.contains("ntpdc> "), "{screen}");
    assert_eq!(
        screen.matches("system peer:          10.77.0.2\n").count(),
        2,
        "history repeats: {screen}"
    );
    assert!(screen.contains("offset "), "loopinfo oneline: {screen}");
    assert!(
        screen.contains("hostnames not being shown\n"),
        "tab completed hostnames: {screen}"
    );
    assert!(screen.contains("ntpdc commands:\n"), "{screen}");
    assert!(
        screen.contains(
            "usage: addserver [ -4|-6 ] address [ keyid ] [ version ] \
             [ prefer|burst|iburst|minpoll N|maxpoll N|keyid N|version N ... ]"
        ),
        "{screen}"
    );
    assert!(screen.contains("***Command `sys' ambiguous"), "{screen}");
    assert!(
        !screen.contains("remote           local"),
        "quit stops: {screen}"
    );
}

#[test]
fn help_lists_the_reference_commands_with_descriptions() {
    let lab = Lab::get();
    let host = lab.ntp3().v4.to_string();
    let mine = ours(lab, &["-n", "-c", "help", &host]);
    mine.assert_success();
    let reference = theirs(lab, &["-n", "-c", "help", &host]);
    // The same commands as the reference's columns of names; ours give each its one-line
    // description (`name  what it does`, one a line).
    let (ours_head, ours_rows) = mine.stdout.split_once('\n').expect("a heading");
    let (their_head, their_names) = reference.stdout.split_once('\n').expect("a heading");
    assert_eq!(ours_head, their_head);
    let mut theirs_sorted: Vec<&str> = their_names.split_whitespace().collect();
    theirs_sorted.sort_unstable();
    let names: Vec<&str> = ours_rows
        .lines()
        .map(|row| {
            let (name, help) = row.split_once("  ").expect("name  description");
            assert!(!help.trim().is_empty(), "{row}");
            name
        })
        .collect();
    assert_eq!(names, theirs_sorted);
    // One command: our own words, the classic usage shape.
    let one = ours(lab, &["-n", "-c", "? showp", "-c", "help nosuch", &host]);
    assert_eq!(
        one.stdout,
        "function: everything the server holds about up to four associations\n\
         usage: showpeer [ -4|-6 ] address [ address ... ]\n"
    );
    assert_eq!(one.stderr, "Command `nosuch' is unknown\n");
    assert_eq!(one.code, Some(2), "{one}");
}

#[test]
fn output_redirected_to_a_file() {
    let lab = Lab::get();
    let host = lab.ntp3().v4.to_string();
    let dir = std::env::temp_dir().join(format!("ntpdc-redirect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("peers.txt");
    let out = ours(
        lab,
        &[
            "-n",
            "-c",
            &format!("peers > {}", file.display()),
            "-c",
            &format!("listpeers >{}x", file.display()),
            &host,
        ],
    );
    out.assert_success();
    assert_eq!(out.stdout, "", "{out}");
    let peers = std::fs::read_to_string(&file).expect("peers written");
    assert!(peers.contains(&format!("*{}", lab.ntp2().v4)), "{peers}");
    let list = std::fs::read_to_string(dir.join("peers.txtx")).expect("listpeers written");
    assert!(list.starts_with("client "), "{list}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// The date part of the `reference time:` line.
fn reference_date(sysinfo: &str) -> Option<String> {
    sysinfo
        .lines()
        .find_map(|l| l.strip_prefix("reference time:"))
        .and_then(|rest| rest.split_once("  "))
        .map(|(_, date)| date.trim().to_owned())
}

#[test]
fn dates_are_in_the_local_zone_as_the_reference_prints_them() {
    let lab = Lab::get();
    let host = lab.ntp3().v4.to_string();
    // A zone from the system's database and a POSIX rule (3 h 30 min west), neither UTC.
    for tz in ["Asia/Kolkata", "XYZ+3:30"] {
        let run = |reference: bool| {
            let mut command = if reference {
                lab.reference(ntpkit_lab::RefTool::Ntpdc)
            } else {
                lab.command(NTPDC)
            };
            let out = command
                .env("TZ", tz)
                .args(["-n", "-c", "sysinfo", &host])
                .run();
            reference_date(&out.stdout).unwrap_or_else(|| panic!("{tz}: no date in\n{out}"))
        };
        let (before, mine, after) = (run(true), run(false), run(true));
        // The daemon may update its reference time between the runs.
        assert!(
            mine == before || mine == after,
            "{tz}: ours '{mine}', reference '{before}' / '{after}'"
        );
        let utc = {
            let out = lab
                .command(NTPDC)
                .env("TZ", "UTC0")
                .args(["-n", "-c", "sysinfo", &host])
                .run();
            reference_date(&out.stdout).unwrap_or_default()
        };
        assert_ne!(mine, utc, "{tz} is not UTC");
    }
}
