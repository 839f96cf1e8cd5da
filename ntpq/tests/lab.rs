//! ntpq against the lab's real daemons: every command compared with the reference ntpq
//! 4.2.8p15 on ntpd 4.2.8p15 (ntp1, ntp3) and on NTPsec 1.2.2 (ntp2), after masking the
//! volatile values; authenticated configuration with every key type; JSON shapes; the
//! interactive shell through a pty and piped commands; errors and exit codes.

use std::collections::{BTreeMap, BTreeSet};

use ntpkit_lab::{Host, Lab, Normalizer, RefTool, RunOutput, strip_escapes};
use serde_json::Value;

/// Tests that change a shared daemon's configuration (keys, servers) hold this for writing;
/// tests that read the same daemons hold it for reading, so no test sees another's change
/// half-way (the tests of one binary run in parallel threads).
static DAEMON_STATE: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn reading() -> std::sync::RwLockReadGuard<'static, ()> {
    DAEMON_STATE
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn changing() -> std::sync::RwLockWriteGuard<'static, ()> {
    DAEMON_STATE
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

const NTPQ: &str = env!("CARGO_BIN_EXE_ntpq");

fn ours(lab: &Lab, args: &[&str]) -> RunOutput {
    lab.command(NTPQ).args(args).run()
}

fn theirs(lab: &Lab, args: &[&str]) -> RunOutput {
    lab.reference(RefTool::Ntpq).args(args).run()
}

fn addr(host: &Host) -> String {
    host.v4.to_string()
}

/// Masks what changes between two runs a moment apart: digits after a `label:`, hex
/// timestamps and their dates, and everything `normalize` masks.
fn masked(text: &str, normalizer: &Normalizer) -> String {
    normalizer
        .normalize(text)
        .lines()
        .map(|line| {
            let mut out = String::new();
            let mut word = String::new();
            for c in line.chars().chain(std::iter::once('\n')) {
                if c.is_ascii_alphanumeric() || c == '.' {
                    word.push(c);
                    continue;
                }
                let is_ts = word.len() == 17
                    && word.as_bytes()[8] == b'.'
                    && word.chars().all(|c| c.is_ascii_hexdigit() || c == '.');
                out.push_str(if is_ts { "TS" } else { &word });
                word.clear();
                if c != '\n' {
                    out.push(c);
                }
            }
            // Prettydates follow a timestamp: `Sat, Nov 21 2026  6:35:01.287`.
            match out.find("TS  ") {
                Some(at) => {
                    let end = out[at..].find(',').map_or(out.len(), |c| {
                        out[at + c + 1..]
                            .find(',')
                            .map_or(out.len(), |d| at + c + 1 + d)
                    });
                    format!("{}TS{}", &out[..at], &out[end..])
                }
                None => out,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn labels_only(text: &str, stable: &[&str]) -> String {
    text.lines()
        .map(|l| match l.split_once(':') {
            Some((label, _)) if !stable.contains(&label.trim()) && !l.starts_with("associd=") => {
                format!("{label}: ~")
            }
            _ if l.starts_with("associd=") => l.split(" status=").next().unwrap_or(l).to_owned(),
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn compare(lab: &Lab, host: &Host, commands: &[&str], normalizer: &Normalizer) {
    let h = addr(host);
    let mut args = vec!["-n"];
    for c in commands {
        args.extend(["-c", c]);
    }
    args.push(&h);
    let ours = ours(lab, &args);
    let theirs = theirs(lab, &args);
    assert!(
        !theirs.stdout.trim().is_empty(),
        "reference printed nothing for {args:?}"
    );
    assert_eq!(
        masked(&ours.stdout, normalizer),
        masked(&theirs.stdout, normalizer),
        "{} {commands:?}\nours:\n{}\ntheirs:\n{}\nour stderr: {}",
        host.name,
        ours.stdout,
        theirs.stdout,
        ours.stderr
    );
}

fn first_assoc(lab: &Lab, host: &Host) -> String {
    let out = ours(lab, &["-n", "-c", "as", &addr(host)]);
    out.assert_success();
    out.stdout
        .lines()
        .nth(2)
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("an association")
        .to_owned()
}

#[test]
fn billboards_and_associations_match_the_reference() {
    let lab = Lab::get();
    let _state = reading();
    for host in [lab.ntp1(), lab.ntp2(), lab.ntp3()] {
        for cmd in [
            "peers",
            "lpeers",
            "apeers",
            "opeers",
            "lopeers",
            "associations",
            "lassociations",
        ] {
            compare(lab, host, &[cmd], &Normalizer::default());
        }
        compare(
            lab,
            host,
            &["as", "passociations", "lpassociations"],
            &Normalizer::default(),
        );
        compare(lab, host, &["peers -4"], &Normalizer::default());
        compare(
            lab,
            host,
            &["ntpversion 1", "peers"],
            &Normalizer::default(),
        );
    }
    // Several hosts: the `server (local)` column as wide as the longest name given.
    for hosts in [
        vec![addr(lab.ntp3()), addr(lab.ntp1())],
        vec![lab.ntp3().v6.to_string(), addr(lab.ntp2())],
    ] {
        let mut args = vec!["-n", "-c", "peers", "-c", "opeers"];
        args.extend(hosts.iter().map(String::as_str));
        let (o, t) = (ours(lab, &args), theirs(lab, &args));
        let n = Normalizer::default();
        assert_eq!(
            masked(&o.stdout, &n),
            masked(&t.stdout, &n),
            "{hosts:?}\nours:\n{}\ntheirs:\n{}",
            o.stdout,
            t.stdout
        );
    }
}

#[test]
fn variables_match_the_reference() {
    let lab = Lab::get();
    let _state = reading();
    // NTPsec 1.2.2 fills its filter arrays with uninitialised memory; mask them.
    let n = Normalizer::default()
        .volatile("filtdelay")
        .volatile("filtoffset")
        .volatile("filtdisp")
        .volatile("offset")
        .volatile("delay")
        .volatile("jitter")
        .volatile("dispersion")
        .volatile("headway")
        .volatile("unreach");
    for host in [lab.ntp1(), lab.ntp2(), lab.ntp3()] {
        let assoc = first_assoc(lab, host);
        for cmds in [
            vec!["rv".to_owned()],
            vec!["rv 0 stratum,refid".to_owned()],
            vec!["readvar 0 stratum leap precision".to_owned()],
            vec![format!("rv {assoc}")],
            vec![format!("rv {assoc} srcadr,stratum,refid,hmode")],
            vec!["rv &1 stratum".to_owned()],
            vec![format!("mrv {assoc} {assoc} stratum,reach")],
            vec![format!("mrl {assoc} {assoc}")],
            vec![
                "raw".to_owned(),
                "rv 0 stratum,refid".to_owned(),
                "cooked".to_owned(),
                "rv 0 leap".to_owned(),
            ],
            vec![
                "addvars stratum,leap,precision".to_owned(),
                "showvars".to_owned(),
                "rl".to_owned(),
                "rmvars leap".to_owned(),
                format!("rl {assoc}"),
                "clearvars".to_owned(),
                "showvars".to_owned(),
            ],
        ] {
            let cmds: Vec<&str> = cmds.iter().map(String::as_str).collect();
            compare(lab, host, &cmds, &n);
        }
    }
    let ntp1 = lab.ntp1();
    let clock = first_assoc(lab, ntp1);
    compare(lab, ntp1, &["cv"], &n);
    compare(lab, ntp1, &["cl"], &n);
    compare(
        lab,
        ntp1,
        &[&format!("cv {clock} device,stratum,refid")],
        &n,
    );
}

#[test]
fn canned_sets_match_the_reference() {
    let lab = Lab::get();
    let _state = reading();
    let stable = [
        "stratum",
        "reference ID",
        "leap indicator",
        "log2 precision",
        "system peer mode",
        "system peer",
        "remote host",
        "local address",
        "enabled",
        "maximum addresses",
        "kernel status",
    ];
    for host in [lab.ntp1(), lab.ntp2(), lab.ntp3()] {
        let assoc = first_assoc(lab, host);
        for cmd in [
            "sysinfo".to_owned(),
            "sysstats".to_owned(),
            "kerninfo".to_owned(),
            "monstats".to_owned(),
            "iostats".to_owned(),
            "timerstats".to_owned(),
            "authinfo".to_owned(),
            format!("pstats {assoc}"),
        ] {
            let args = ["-n", "-c", &cmd, &addr(host)];
            let (o, t) = (ours(lab, &args), theirs(lab, &args));
            assert_eq!(
                labels_only(&o.stdout, &stable),
                labels_only(&t.stdout, &stable),
                "{} {cmd}\nours:\n{}{}\ntheirs:\n{}",
                host.name,
                o.stdout,
                o.stderr,
                t.stdout
            );
            if t.stdout.trim().is_empty() {
                // NTPsec refuses sysinfo's and authinfo's variables; so do we, on one line.
                assert_eq!(o.code, Some(1), "{}", o.stderr);
                assert!(o.stderr.contains("unknown variable"), "{}", o.stderr);
            }
        }
    }
}

fn auth_args<'a>(lab: &'a Lab, key: &'a str) -> Vec<String> {
    vec![
        "-k".to_owned(),
        lab.private_keys_file().display().to_string(),
        "-a".to_owned(),
        key.to_owned(),
    ]
}

#[test]
fn authenticated_lists_match_the_reference() {
    let lab = Lab::get();
    let _state = reading();
    let mask_numbers = |text: &str| -> String {
        text.chars()
            .map(|c| if c.is_ascii_digit() { '9' } else { c })
            .collect()
    };
    for host in [lab.ntp1(), lab.ntp3()] {
        for cmd in ["ifstats", "reslist"] {
            let h = addr(host);
            let mut ours_args = auth_args(lab, "1");
            ours_args.extend(["-n".into(), "-c".into(), cmd.into(), h.clone()]);
            let ours_args: Vec<&str> = ours_args.iter().map(String::as_str).collect();
            let o = ours(lab, &ours_args);
            o.assert_success();
            let t = theirs(
                lab,
                &[
                    "-n",
                    "-c",
                    "keyid 1",
                    "-c",
                    "passwd ntpkitLabMd5Key1",
                    "-c",
                    cmd,
                    &h,
                ],
            );
            assert_eq!(
                mask_numbers(o.stdout.trim_start()),
                mask_numbers(t.stdout.trim_start()),
                "{} {cmd}",
                host.name
            );
        }
    }
    // NTPsec answers ifstats with two fields fewer; we still list its addresses.
    let mut args = auth_args(lab, "1");
    args.extend(["-n".into(), "-c".into(), "ifstats".into(), addr(lab.ntp2())]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = ours(lab, &args);
    o.assert_success();
    o.assert_stdout_contains(&format!("    {}:123", lab.ntp2().v4));
}

/// Restores `controlkey 1` and removes a test server, whatever happened in the test.
struct ConfigGuard<'a> {
    lab: &'a Lab,
    host: String,
    server: String,
}

impl Drop for ConfigGuard<'_> {
    fn drop(&mut self) {
        // Whatever key is the controlkey now, one of these succeeds.
        for key in ["1", "2", "3", "4"] {
            let mut args = auth_args(self.lab, key);
            args.extend([
                "-n".into(),
                "-c".into(),
                format!(":config unpeer {}", self.server),
                "-c".into(),
                ":config controlkey 1".into(),
                self.host.clone(),
            ]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let _ = ours(self.lab, &args);
        }
    }
}

#[test]
fn config_adds_and_removes_servers_with_every_key_type() {
    let lab = Lab::get();
    let _state = changing();
    for (h, host) in [lab.ntp1(), lab.ntp3()].into_iter().enumerate() {
        for key in ["1", "2", "3", "4"] {
            // Addresses no other test uses: 10.77.99.<host><key>.
            let server = format!("10.77.99.{}{key}", h + 1);
            let target = addr(host);
            let _guard = ConfigGuard {
                lab,
                host: target.clone(),
                server: server.clone(),
            };
            let run_with = |key: &str, cmds: &[String]| {
                let mut args = auth_args(lab, key);
                args.push("-n".into());
                for c in cmds {
                    args.extend(["-c".into(), c.clone()]);
                }
                args.push(target.clone());
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                ours(lab, &args)
            };
            if key != "1" {
                run_with("1", &[format!(":config controlkey {key}")]).assert_success();
            }
            let added = run_with(key, &[format!(":config server {server}")]);
            added.assert_success();
            added.assert_stdout_contains("Config Succeeded");
            let peers = theirs(lab, &["-n", "-p", &target]);
            assert!(
                peers.stdout.contains(&server),
                "{} key {key}: {}",
                host.name,
                peers.stdout
            );
            let removed = run_with(key, &[format!(":config unpeer {server}")]);
            removed.assert_success();
            let peers = theirs(lab, &["-n", "-p", &target]);
            assert!(
                !peers.stdout.contains(&server),
                "{} key {key}: {}",
                host.name,
                peers.stdout
            );
            if key != "1" {
                run_with(key, &[":config controlkey 1".to_owned()]).assert_success();
            }
        }
        // A wrong secret is refused at once, with exit status 4.
        let wrong = ours(
            lab,
            &[
                "-n",
                "-c",
                "keyid 1",
                "-c",
                "passwd notTheSecret",
                "-c",
                ":config server 10.77.99.99",
                &addr(host),
            ],
        );
        assert_eq!(wrong.code, Some(4), "{}", wrong.stderr);
        assert!(
            wrong.stderr.contains("permission denied"),
            "{}",
            wrong.stderr
        );
        assert!(
            wrong.elapsed.as_secs() < 3,
            "refused, not timed out: {:?}",
            wrong.elapsed
        );
        // A key the server trusts but that is not its controlkey: refused the same way.
        let mut args = auth_args(lab, "2");
        args.extend(["-c".into(), ":config server 10.77.99.98".into(), addr(host)]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(ours(lab, &args).code, Some(4));
    }
}

#[test]
fn mrulist_lists_the_reference_clients() {
    let lab = Lab::get();
    let _state = reading();
    for host in [lab.ntp1(), lab.ntp2(), lab.ntp3()] {
        let h = addr(host);
        let clients = |text: &str| -> BTreeSet<String> {
            text.lines()
                .skip(2)
                .filter_map(|l| l.split_whitespace().last().map(str::to_owned))
                .filter(|a| !a.starts_with("10.77.0.10"))
                .collect()
        };
        // Restriction bits and the rate flag read from them, per client.
        let flags = |text: &str| -> BTreeMap<String, (String, String)> {
            text.lines()
                .skip(2)
                .filter_map(|l| {
                    let w: Vec<&str> = l.split_whitespace().collect();
                    Some((
                        (*w.last()?).to_owned(),
                        ((*w.get(2)?).to_owned(), (*w.get(3)?).to_owned()),
                    ))
                })
                .filter(|(a, _)| !a.starts_with("10.77.0.10"))
                .collect()
        };
        let o = ours(lab, &["-n", "-c", "mrulist", &h]);
        o.assert_success();
        let t = theirs(lab, &["-n", "-c", "mrulist", &h]);
        assert_eq!(clients(&o.stdout), clients(&t.stdout), "{}", host.name);
        if host.name != "ntp2" {
            // The reference ntpq 4.2.8p15 reads the bits as its daemon lays them out (limited
            // 0x40 since 4.2.8p11); NTPsec's layout is the older one.
            assert_eq!(flags(&o.stdout), flags(&t.stdout), "{}", host.name);
            for tag in ["limited", "kod"] {
                let cmd = format!("mrulist {tag}");
                let o = ours(lab, &["-n", "-c", &cmd, &h]);
                o.assert_success();
                let t = theirs(lab, &["-n", "-c", &cmd, &h]);
                assert_eq!(
                    clients(&o.stdout),
                    clients(&t.stdout),
                    "{cmd} {}",
                    host.name
                );
            }
        }
        assert!(
            o.stdout
                .starts_with("lstint avgint rstr r m v  count rport remote address\n")
        );
        for tags in [
            &["mincount=1", "sort=addr"][..],
            &["sort=-lstint"],
            &["limited"],
            &["kod", "sort=count"],
            &["maxlstint=3600", "resall=0x0"],
            &["laddr=0.0.0.0", "sort=-avgint"],
        ] {
            let cmd = format!("mrulist {}", tags.join(" "));
            ours(lab, &["-n", "-c", &cmd, &h]).assert_success();
        }
    }
}

/// The documented JSON shape: for each command, the keys every document has and the keys
/// every item of its list has.
fn assert_shape(doc: &Value, command: &str) {
    let obj = doc
        .as_object()
        .unwrap_or_else(|| panic!("{command}: not an object: {doc}"));
    let has = |o: &serde_json::Map<String, Value>, keys: &[&str]| {
        for k in keys {
            assert!(o.contains_key(*k), "{command}: missing '{k}' in {o:?}");
        }
    };
    let items = |key: &str, keys: &[&str]| {
        let list = obj[key]
            .as_array()
            .unwrap_or_else(|| panic!("{command}: '{key}' not a list"));
        for item in list {
            has(item.as_object().expect("item object"), keys);
        }
    };
    match command {
        "peers" | "apeers" | "opeers" | "lpeers" | "lopeers" => {
            has(obj, &["host", "command", "peers"]);
            items(
                "peers",
                &[
                    "host",
                    "assoc_id",
                    "tally",
                    "remote",
                    "address",
                    "port",
                    "local",
                    "refid",
                    "stratum",
                    "type",
                    "when_s",
                    "poll_s",
                    "reach",
                    "delay_ms",
                    "offset_ms",
                    "jitter_ms",
                    "dispersion_ms",
                ],
            );
            for p in obj["peers"].as_array().into_iter().flatten() {
                assert!(p["poll_s"].is_u64() && p["reach"].is_u64(), "{p}");
                if let Some(refid) = p["refid"].as_object() {
                    has(refid, &["kind", "text", "hex"]);
                }
            }
        }
        "associations" | "lassociations" => {
            has(obj, &["host", "command", "associations"]);
            items("associations", &["host", "index", "assoc_id", "status"]);
        }
        "mrulist" => {
            has(
                obj,
                &["host", "command", "now", "updates", "partial", "entries"],
            );
            assert_eq!(obj["partial"], false, "a whole list");
            items(
                "entries",
                &[
                    "address",
                    "port",
                    "lstint_s",
                    "avgint_s",
                    "restrict",
                    "rate_flag",
                    "mode",
                    "version",
                    "count",
                    "first",
                    "last",
                ],
            );
        }
        "ifstats" => {
            has(obj, &["host", "command", "interfaces"]);
            items(
                "interfaces",
                &["index", "name", "address", "enabled", "flags", "uptime_s"],
            );
        }
        "reslist" => {
            has(obj, &["host", "command", "restrictions"]);
            items(
                "restrictions",
                &["address", "mask", "entry", "hits", "flags"],
            );
        }
        "timeout" | "version" | "keyid" => has(obj, &["command", "message"]),
        _ => {
            has(obj, &["host", "command", "assoc_id", "status", "variables"]);
            assert!(obj["status"]["kind"].is_string() && obj["status"]["word"].is_string());
            assert!(obj["variables"].is_object());
        }
    }
}

#[test]
fn json_documents_follow_the_documented_shape() {
    let lab = Lab::get();
    let _state = reading();
    for host in [lab.ntp1(), lab.ntp2(), lab.ntp3()] {
        let assoc = first_assoc(lab, host);
        let mut commands: Vec<String> = [
            "peers",
            "apeers",
            "opeers",
            "lpeers",
            "lopeers",
            "associations",
            "lassociations",
            "rv",
            "readlist",
            "sysstats",
            "monstats",
            "iostats",
            "timerstats",
            "kerninfo",
            "mrulist",
            "timeout",
            "version",
            "keyid",
        ]
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
        commands.push(format!("rv {assoc}"));
        commands.push(format!("pstats {assoc}"));
        commands.push(format!("mrv {assoc} {assoc}"));
        if host.name != "ntp2" {
            commands.extend([
                "sysinfo".into(),
                "authinfo".into(),
                "ifstats".into(),
                "reslist".into(),
            ]);
        }
        for cmd in &commands {
            let mut args = auth_args(lab, "1");
            args.extend([
                "--json".into(),
                "-n".into(),
                "-c".into(),
                cmd.clone(),
                addr(host),
            ]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = ours(lab, &args);
            out.assert_success();
            let doc: Value = serde_json::from_str(&out.stdout)
                .unwrap_or_else(|e| panic!("{cmd}: not one JSON document: {e}\n{}", out.stdout));
            let name = cmd.split_whitespace().next().unwrap_or_default();
            let name = match name {
                "rv" | "readlist" | "mrv" | "pstats" | "sysstats" | "monstats" | "iostats"
                | "timerstats" | "kerninfo" | "sysinfo" | "authinfo" => "variables",
                other => other,
            };
            assert_shape(&doc, name);
        }
        // Two commands, one host: two documents, one after the other.
        let out = ours(
            lab,
            &[
                "--json",
                "-n",
                "-c",
                "as",
                "-c",
                "rv 0 stratum",
                &addr(host),
            ],
        );
        let docs: Vec<Value> = serde_json::Deserializer::from_str(&out.stdout)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .expect("JSON documents");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["command"], "associations");
        assert!(docs[1]["variables"]["stratum"].is_u64(), "{}", docs[1]);
    }
}

#[test]
fn piped_commands_run_without_a_prompt() {
    let lab = Lab::get();
    let _state = reading();
    let out = lab
        .command(NTPQ)
        .args(["-n", &addr(lab.ntp3())])
        .stdin("rv 0 stratum\n\nhost -4 10.77.0.1\nrv 0 stratum > /dev/stdout\nqu\nrv 0 never\n")
        .run();
    out.assert_success();
    assert_eq!(
        out.stdout,
        "stratum=3\ncurrent host set to 10.77.0.1\nstratum=1\n"
    );
}

#[test]
fn interactive_shell_through_a_pty() {
    let lab = Lab::get();
    let _state = reading();
    // Typed one line at a time, as a person would: a command, the up arrow to repeat it, an
    // abbreviation, tab completion, help for one command, quit.
    let script = format!(
        "(sleep 0.5; printf 'rv 0 stratum\\r'; sleep 0.4; printf '\\033[A\\r'; sleep 0.4; \
         printf 'as\\r'; sleep 0.4; printf 'hel\\t\\r'; sleep 0.3; printf '? rv\\r'; sleep 0.4; \
         printf 'p\\r'; sleep 0.3; printf 'quit\\r'; sleep 0.4) | script -qfec '{NTPQ} -n {}' /dev/null",
        addr(lab.ntp3())
    );
    let out = lab.command("sh").args(["-c", &script]).run();
    let screen: String = strip_escapes(&out.stdout).replace('\r', "");
    assert!(screen.contains("ntpq> "), "{screen}");
    assert_eq!(
        screen.matches("stratum=3\n").count(),
        2,
        "history repeats: {screen}"
    );
    assert!(
        screen.contains("ind assid status  conf reach auth condition"),
        "{screen}"
    );
    assert!(
        screen.contains("ntpq commands:\n"),
        "tab completed help: {screen}"
    );
    assert!(
        screen.contains("usage: rv [ assocID ] [ varname1 ]"),
        "{screen}"
    );
    assert!(screen.contains("***Command `p' ambiguous"), "{screen}");
}

#[test]
fn errors_are_one_line_with_meaningful_exit_codes() {
    let lab = Lab::get();
    let _state = reading();
    let h = addr(lab.ntp1());
    let unknown = ours(lab, &["-n", "-c", "rv 0 nosuchvar", &h]);
    assert_eq!(unknown.code, Some(1));
    assert_eq!(
        unknown.stderr,
        format!("ntpq: {h}: rv 0 nosuchvar: server error: unknown variable\n")
    );
    let assoc = ours(lab, &["-n", "-c", "rv 65000", &h]);
    assert_eq!(assoc.code, Some(1));
    assert!(
        assoc.stderr.contains("unknown association"),
        "{}",
        assoc.stderr
    );
    let nokey = ours(lab, &["-n", "-c", "ifstats", &h]);
    assert_eq!(nokey.code, Some(4));
    let silent = ours(lab, &["-n", "-c", "timeout 300", "-c", "rv", "10.77.9.9"]);
    assert_eq!(silent.code, Some(3));
    assert_eq!(silent.stderr.lines().count(), 1, "{}", silent.stderr);
    assert!(silent.elapsed.as_secs() < 3, "{:?}", silent.elapsed);
    let usage = ours(lab, &["-n", "-c", "bogus", &h]);
    assert_eq!(usage.code, Some(2));
    assert_eq!(usage.stderr, "***Command `bogus' unknown\n");
    // Two hosts: every command on each, output labelled as ntpq does.
    let two = ours(lab, &["-n", "-c", "rv 0 stratum", &h, &addr(lab.ntp3())]);
    two.assert_success();
    assert_eq!(
        two.stdout,
        format!(
            "server={h} stratum=1\n\nserver={} stratum=3\n",
            addr(lab.ntp3())
        )
    );
}
