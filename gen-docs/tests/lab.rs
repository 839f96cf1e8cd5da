//! Lab tests of the documentation: the README's tour runs in the lab and prints what the
//! README shows (numbers and dates aside), and every example of docs/exit-codes.md exits with
//! the code documented for it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use gen_docs::{TOOLS, exit_codes};
use ntpkit_lab::{Lab, RunOutput, workspace_binary};

/// A directory whose `bin/` links every ntpkit binary, and which holds `lab.keys` (the lab's
/// keys file, mode 0644 as a copy usually has) and `wrong.keys` (key 1 with a wrong secret):
/// the names the README and docs/exit-codes.md use.
fn workdir(lab: &Lab) -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("gen-docs-lab-{}", std::process::id()));
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).expect("work dir");
        for tool in &TOOLS {
            let exe = workspace_binary(tool.package, tool.bin).expect("tool builds");
            let link = bin.join(tool.bin);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(exe, link).expect("link");
        }
        let keys = dir.join("lab.keys");
        std::fs::copy(lab.keys_file(), &keys).expect("copy keys");
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        std::fs::write(dir.join("wrong.keys"), "1 MD5 notTheLabSecret\n").expect("wrong.keys");
        dir
    })
}

/// Runs a documented command line with bash in the client namespace, our binaries first on
/// the PATH, standard error merged into standard output in order.
fn run_line(lab: &Lab, line: &str) -> RunOutput {
    let dir = workdir(lab);
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    lab.command("bash")
        .args(["--norc", "--noprofile", "-c", &format!("exec 2>&1\n{line}")])
        .env("PATH", path)
        .current_dir(dir)
        .timeout(Duration::from_secs(60))
        .run()
}

/// Text with every number as `N`, month names as `Mon`, and runs of blanks as one space: what
/// stays is the shape (words, names, addresses' places, line count).
fn shape(text: &str) -> Vec<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    text.lines()
        .map(|line| {
            let mut out = String::new();
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                if c.is_ascii_digit() {
                    while chars
                        .peek()
                        .is_some_and(|n| n.is_ascii_digit() || *n == '.')
                    {
                        chars.next();
                    }
                    if out.ends_with('+') || out.ends_with('-') {
                        out.pop();
                    }
                    out.push('N');
                } else if c.is_whitespace() {
                    if !out.ends_with(' ') {
                        out.push(' ');
                    }
                } else {
                    out.push(c);
                }
            }
            // A lone `-` is a number that is not there yet: ntpq's `when` of a reply just in.
            let mut out = out
                .trim()
                .split(' ')
                .map(|word| if word == "-" { "N" } else { word })
                .collect::<Vec<_>>()
                .join(" ");
            for m in MONTHS {
                out = out.replace(&format!("N {m} N"), "N Mon N");
            }
            out
        })
        .collect()
}

/// The tour: the `$ ` lines of the README's first code block after `## A tour`, each with the
/// output shown under it.
fn tour() -> Vec<(String, String)> {
    let readme = include_str!("../../README.md");
    let start = readme.find("\n## A tour").expect("README has '## A tour'");
    let block = readme[start..]
        .split("```")
        .nth(1)
        .expect("a code block in the tour");
    let mut steps: Vec<(String, String)> = Vec::new();
    for line in block.lines().skip(1) {
        if let Some(command) = line.strip_prefix("$ ") {
            steps.push((command.to_owned(), String::new()));
        } else if let Some((_, out)) = steps.last_mut() {
            out.push_str(line);
            out.push('\n');
        }
    }
    steps
}

#[test]
fn the_readme_tour_runs_in_the_lab_as_shown() {
    let lab = Lab::get();
    let steps = tour();
    assert!(
        (8..=12).contains(&steps.len()),
        "a tour of about ten commands, not {}",
        steps.len()
    );
    for (line, shown) in steps {
        let out = run_line(lab, &line);
        assert!(!out.timed_out, "{line}: {out}");
        assert_eq!(
            shape(&out.stdout),
            shape(&shown),
            "README tour `{line}` prints something else now:\n{}",
            out.stdout
        );
    }
}

#[test]
fn exit_codes_match_the_documentation() {
    let lab = Lab::get();
    let mut run = 0;
    for section in exit_codes::sections() {
        for status in &section.codes {
            let Some(example) = &status.example else {
                continue;
            };
            let out = run_line(lab, example);
            assert_eq!(
                out.code,
                Some(i32::from(status.code)),
                "docs/exit-codes.md, {}: `{example}` should exit {}:\n{out}",
                section.title(),
                status.code
            );
            run += 1;
        }
    }
    assert!(run >= 20, "only {run} documented exit codes were exercised");
}

#[test]
fn shapes_ignore_numbers_and_dates_only() {
    assert_eq!(
        shape("*10.77.0.2   10.77.0.1   2 u   10   16  377    0.060   +0.021"),
        ["*N N N u N N N N N"]
    );
    assert_eq!(
        shape("*10.77.0.2   10.77.0.1   2 u    -   16  377    0.064   +0.022"),
        ["*N N N u N N N N N"],
        "a `when` of `-` is a volatile value too"
    );
    assert_eq!(
        shape("21 Nov 07:40:17 ntpdate[30772]: adjust"),
        ["N Mon N:N:N ntpdate[N]: adjust"]
    );
    assert_ne!(
        shape("stratum=3, refid=LOCL"),
        shape("stratum=3, refid=10.77.0.1")
    );
}
