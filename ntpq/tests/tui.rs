//! `ntpq --tui` driven as a person would, in tmux against the lab: keys with `send-keys`,
//! the screen with `capture-pane`. The peers of ntp1, ntp2 and ntp3 are compared with the
//! reference ntpq's billboards; switching hosts, the detail pane, the MRU pane (with a
//! client ntp1 rate-limits), the export key, a dead server next to live ones, the shell's
//! `tui` command, and a clean exit that leaves the terminal restored.
//!
//! Each test uses its own tmux server (`tmux -L <unique socket>`), so no one else's tmux
//! sessions are touched.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ntpkit_lab::{Lab, RefTool};
use serde_json::Value;

const NTPQ: &str = env!("CARGO_BIN_EXE_ntpq");

/// A tmux server of our own running one command in a window of a fixed size.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `command` (a shell line) in a `width`×`height` window. Panics when tmux is
    /// missing: the lab's provisioning installs it.
    fn start(width: u16, height: u16, command: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let version = Command::new("tmux").arg("-V").output();
        assert!(
            version.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is missing: these tests drive the TUI in tmux (apt-get install tmux; \
             tests/lab/scripts/provision.sh installs it): {version:?}"
        );
        let socket = format!(
            "ntpkit-tui-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let tmux = Self { socket };
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            command,
        ]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .env_remove("TMUX")
            .env("TERM", "xterm-256color")
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "0", key]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "0"])
    }

    /// `#{alternate_on} #{cursor_flag}`: whether the pane shows the alternate screen and
    /// whether the cursor is visible.
    fn modes(&self) -> String {
        self.run(&[
            "display-message",
            "-p",
            "-t",
            "0",
            "#{alternate_on} #{cursor_flag}",
        ])
        .trim()
        .to_owned()
    }

    /// Waits until the screen passes `ok`, panicking with the last screen after `limit`.
    fn wait_for(&self, what: &str, limit: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < limit,
                "waited {limit:?} for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// The shell line that runs `args` in the lab's client namespace, then reports how it
/// ended and the terminal's line discipline, and keeps the pane open.
fn in_client(lab: &Lab, dir: &str, args: &str) -> String {
    format!(
        "cd {dir} && ip netns exec {} {NTPQ} {args}; echo \"TUI-EXITED rc=$?\"; stty -a | tr ' ;' '\\n\\n' | grep -x -e '-\\?icanon' -e '-\\?echo' | tr '\\n' ' '; echo; sleep 600",
        lab.client().netns
    )
}

/// `(tally, remote, refid, st, t, reach as boxes)` of each row of the reference billboard.
fn reference_rows(lab: &Lab, host: &str) -> Vec<[String; 6]> {
    let out = lab.reference(RefTool::Ntpq).args(["-n", "-p", host]).run();
    out.stdout
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let tally = line.get(..1).unwrap_or(" ").trim().to_owned();
            let words: Vec<&str> = line.get(1..).unwrap_or("").split_whitespace().collect();
            assert!(words.len() >= 10, "reference row '{line}'");
            let reach = u8::from_str_radix(words[6], 8).expect("octal reach");
            let boxes: String = (0..8)
                .rev()
                .map(|b| if reach >> b & 1 == 1 { '■' } else { '□' })
                .collect();
            [
                tally,
                words[0].to_owned(),
                words[1].to_owned(),
                words[2].to_owned(),
                words[3].to_owned(),
                boxes,
            ]
        })
        .collect()
}

/// The same fields of a TUI peers row (`│›  * 10.77.0.2  10.77.0.1  2 u  12  16 ■■■■■■■■ …│`).
fn tui_rows(screen: &str) -> Vec<[String; 6]> {
    screen
        .lines()
        .filter(|l| l.contains('■') || l.contains('□'))
        .filter_map(|line| {
            let inner = line
                .trim_matches(|c| c == '│' || c == ' ')
                .replace('›', " ");
            let words: Vec<&str> = inner.split_whitespace().filter(|w| *w != "~").collect();
            // A blank tally leaves one word less.
            let (tally, rest) = if words.len() >= 11 {
                (words[0].to_owned(), &words[1..])
            } else {
                (String::new(), &words[..])
            };
            let reach = rest.iter().find(|w| w.contains('■') || w.contains('□'))?;
            Some([
                tally,
                rest.first()?.to_string(),
                rest.get(1)?.to_string(),
                rest.get(2)?.to_string(),
                rest.get(3)?.to_string(),
                (*reach).to_owned(),
            ])
        })
        .collect()
}

fn has_peer_rows(screen: &str) -> bool {
    screen.lines().any(|l| l.contains('■'))
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ntpkit-tui-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

#[test]
fn peers_hosts_detail_export_and_a_clean_exit() {
    let lab = Lab::get();
    let hosts: Vec<String> = [lab.ntp1(), lab.ntp2(), lab.ntp3()]
        .iter()
        .map(|h| h.v4.to_string())
        .collect();
    let dir = scratch_dir("main");
    let tmux = Tmux::start(
        100,
        30,
        &in_client(
            lab,
            &dir.display().to_string(),
            &format!("--tui -n {}", hosts.join(" ")),
        ),
    );
    for (i, host) in hosts.iter().enumerate() {
        tmux.keys(&[&(i + 1).to_string()]);
        let screen = tmux.wait_for(
            &format!("the peers of {host}"),
            Duration::from_secs(15),
            |s| s.lines().next().is_some_and(|l| l.contains(host.as_str())) && has_peer_rows(s),
        );
        assert_eq!(tmux.modes(), "1 0", "alternate screen, cursor hidden");
        let theirs = reference_rows(lab, host);
        let ours = tui_rows(&screen);
        assert_eq!(
            ours, theirs,
            "{host}: the TUI's rows vs the reference ntpq -p:\n{screen}"
        );
    }
    // Tab goes round to the first server again.
    tmux.keys(&["Tab"]);
    tmux.wait_for("ntp1 after tab", Duration::from_secs(5), |s| {
        s.lines().next().is_some_and(|l| l.contains(&hosts[0]))
    });
    // ntp3's peer in detail.
    tmux.keys(&["3", "Enter"]);
    let detail = tmux.wait_for("the detail pane", Duration::from_secs(5), |s| {
        s.contains("clock filter") && s.contains("history")
    });
    assert!(
        detail.contains(&format!("· {} ·", lab.ntp2().v4)),
        "{detail}"
    );
    assert!(
        detail.contains("status ") && detail.contains("sel_sys.peer"),
        "{detail}"
    );
    assert!(detail.contains("delay") && detail.contains("offset") && detail.contains("disp"));
    // Export the detail view.
    tmux.keys(&["e"]);
    let screen = tmux.wait_for("the export message", Duration::from_secs(5), |s| {
        s.contains("exported the view to ")
    });
    let name = screen
        .split("exported the view to ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("file name");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).expect("export file"))
            .expect("export JSON");
    assert_eq!(doc["view"], "peer");
    assert_eq!(doc["host"], hosts[2]);
    assert_eq!(doc["variables"]["srcadr"], lab.ntp2().v4.to_string());
    assert_eq!(doc["filter"]["offset_ms"].as_array().map(Vec::len), Some(8));
    // Help, then quit.
    tmux.keys(&["Escape", "?"]);
    tmux.wait_for("the help overlay", Duration::from_secs(5), |s| {
        s.contains("┌ keys")
    });
    tmux.keys(&["Space", "q"]);
    let end = tmux.wait_for("ntpq to exit", Duration::from_secs(10), |s| {
        s.lines().any(|l| l.contains("echo"))
    });
    assert!(end.contains("TUI-EXITED rc=0"), "{end}");
    assert!(
        end.contains("icanon echo"),
        "line discipline restored: {end}"
    );
    assert!(!end.contains("peers ·"), "the TUI's screen is gone: {end}");
    assert_eq!(tmux.modes(), "0 1", "main screen, cursor shown");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_dead_server_does_not_hold_up_the_others() {
    let lab = Lab::get();
    let ntp1 = lab.ntp1().v4.to_string();
    // 10.77.9.9 is in the lab's network but nothing answers there.
    let tmux = Tmux::start(
        120,
        30,
        &in_client(lab, "/tmp", &format!("--tui -n 10.77.9.9 {ntp1}")),
    );
    tmux.wait_for("the dead server's slot", Duration::from_secs(5), |s| {
        s.contains("asking 10.77.9.9") || s.contains("10.77.9.9: ")
    });
    // While the first server is still unanswered, the second one's peers show.
    tmux.keys(&["2"]);
    let start = Instant::now();
    tmux.wait_for("ntp1's peers", Duration::from_secs(5), has_peer_rows);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    tmux.keys(&["1"]);
    let screen = tmux.wait_for("the error in place", Duration::from_secs(15), |s| {
        s.contains("✗ 10.77.9.9: readstat: ")
    });
    assert!(screen.contains("other servers are not held up"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(10), |s| {
        s.contains("TUI-EXITED rc=0")
    });
}

#[test]
fn mru_pane_marks_a_rate_limited_client() {
    let lab = Lab::get();
    let ntp1 = lab.ntp1();
    // ntp1 rate-limits strangers (`restrict default kod limited`); a link-local source is
    // one. A burst of client packets from it gets one KoD and then silence.
    let link_local = lab
        .command("ip")
        .args(["-6", "-o", "addr", "show", "scope", "link"])
        .place(ntpkit_lab::Place::Netns(ntp1.netns.clone()))
        .run()
        .stdout
        .split_whitespace()
        .find(|w| w.starts_with("fe80::"))
        .and_then(|w| w.split('/').next())
        .expect("ntp1's link-local address")
        .to_owned();
    let burst = lab
        .command("python3")
        .args([
            "-c",
            "import socket,sys\n\
             s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM); s.settimeout(0.2)\n\
             for _ in range(12):\n\
             \x20 s.sendto(bytes([0x23])+bytes(47),(sys.argv[1],123,0,2))\n\
             \x20 try: s.recvfrom(512)\n\
             \x20 except socket.timeout: pass\n",
            &link_local,
        ])
        .run();
    burst.assert_success();
    let tmux = Tmux::start(
        120,
        30,
        &in_client(lab, "/tmp", &format!("--tui -n {}", ntp1.v4)),
    );
    tmux.wait_for("peers", Duration::from_secs(10), has_peer_rows);
    tmux.keys(&["m"]);
    let screen = tmux.wait_for("the MRU list", Duration::from_secs(15), |s| {
        s.contains(" clients, ") && s.contains("fe80::")
    });
    let row = screen
        .lines()
        .find(|l| l.contains("fe80::"))
        .expect("the link-local client's row");
    assert!(
        row.split_whitespace().any(|w| w == "L" || w == "K"),
        "the burst's client is marked rate-limited: {row}\n{screen}"
    );
    assert!(!screen.contains(" 0 rate-limited (L), 0 KoD"), "{screen}");
    // The reference ntpq 4.2.8p15 marks the same client.
    let theirs = lab
        .reference(RefTool::Ntpq)
        .args(["-n", "-c", "mrulist", &ntp1.v4.to_string()])
        .run();
    let their_row = theirs
        .stdout
        .lines()
        .find(|l| l.contains("fe80::"))
        .expect("the reference lists the client");
    assert_eq!(
        their_row.split_whitespace().nth(3),
        Some("L"),
        "{their_row}"
    );
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(10), |s| {
        s.contains("TUI-EXITED rc=0")
    });
}

#[test]
fn the_shell_tui_command_returns_to_the_prompt() {
    let lab = Lab::get();
    let ntp3 = lab.ntp3().v4.to_string();
    let tmux = Tmux::start(100, 30, &in_client(lab, "/tmp", &format!("-n {ntp3}")));
    tmux.wait_for("the prompt", Duration::from_secs(5), |s| {
        s.contains("ntpq>")
    });
    tmux.keys(&["tui", "Enter"]);
    tmux.wait_for("ntp3's peers in the TUI", Duration::from_secs(10), |s| {
        has_peer_rows(s) && s.contains(&ntp3)
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the prompt again", Duration::from_secs(5), |s| {
        !has_peer_rows(s) && s.contains("ntpq>")
    });
    // Keys typed now reach the prompt, not a reader left behind by the TUI.
    tmux.keys(&["rv 0 stratum", "Enter"]);
    tmux.wait_for("the answer", Duration::from_secs(5), |s| {
        s.contains("stratum=3")
    });
    tmux.keys(&["quit", "Enter"]);
    tmux.wait_for("exit", Duration::from_secs(5), |s| {
        s.contains("TUI-EXITED rc=0")
    });
}

#[test]
fn sigterm_restores_the_terminal() {
    let lab = Lab::get();
    let ntp1 = lab.ntp1().v4.to_string();
    let tmux = Tmux::start(
        100,
        30,
        &in_client(lab, "/tmp", &format!("--tui -n {ntp1}")),
    );
    tmux.wait_for("ntp1's peers", Duration::from_secs(10), has_peer_rows);
    // The pane's shell runs `ip netns exec … ntpq`, which execs ntpq: its child is the TUI.
    let shell = tmux.run(&["display-message", "-p", "-t", "0", "#{pane_pid}"]);
    let child = Command::new("pgrep")
        .args(["-P", shell.trim()])
        .output()
        .expect("pgrep runs");
    let pid = String::from_utf8_lossy(&child.stdout).trim().to_owned();
    assert!(
        !pid.is_empty(),
        "no TUI process under the pane's shell {shell}"
    );
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs")
            .success()
    );
    let end = tmux.wait_for("ntpq to exit", Duration::from_secs(10), |s| {
        s.lines().any(|l| l.contains("echo"))
    });
    assert!(end.contains("TUI-EXITED rc=0"), "{end}");
    assert!(
        end.contains("icanon echo"),
        "line discipline restored: {end}"
    );
    assert_eq!(tmux.modes(), "0 1", "main screen, cursor shown");
}
