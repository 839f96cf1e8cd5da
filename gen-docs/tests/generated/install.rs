//! scripts/install into a temporary prefix (dev profile, so it reuses the test build): every
//! binary runs from PREFIX/bin, every man page and completion file is where man and the shells
//! look, and every binary the workspace builds (but the lab's and gen-docs) is installed.

use std::path::Path;
use std::process::Command as Process;

use gen_docs::complete::{SHELLS, file_name};
use gen_docs::{TOOLS, man, walk};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
}

#[test]
fn every_workspace_binary_is_a_documented_tool() {
    let out = Process::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for package in meta["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("name");
        if ["ntpkit-lab", "gen-docs"].contains(&name) {
            continue;
        }
        for target in package["targets"].as_array().expect("targets") {
            let kinds = target["kind"].as_array().expect("kind");
            if kinds.iter().any(|k| k == "bin") {
                let bin = target["name"].as_str().expect("bin name");
                assert!(
                    TOOLS.iter().any(|t| t.bin == bin && t.package == name),
                    "binary {bin} of {name} is not in gen_docs::TOOLS: no man page, completion or install"
                );
            }
        }
    }
}

#[test]
fn scripts_install_puts_binaries_man_pages_and_completions_under_a_prefix() {
    let prefix = std::env::temp_dir().join(format!("ntpkit-install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&prefix);
    let out = Process::new(root().join("scripts/install"))
        .args(["--debug", "--prefix"])
        .arg(&prefix)
        .current_dir(root())
        .output()
        .expect("scripts/install runs");
    assert!(
        out.status.success(),
        "scripts/install: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let share = prefix.join("share");
    for tool in &TOOLS {
        let bin = prefix.join("bin").join(tool.bin);
        let version = Process::new(&bin).arg("--version").output().expect("runs");
        assert_eq!(
            String::from_utf8_lossy(&version.stdout).trim(),
            format!("{} {}", tool.bin, env!("CARGO_PKG_VERSION")),
            "{}",
            bin.display()
        );
        for (path, _) in walk(&tool.built_command()) {
            let page = share.join("man/man1").join(format!("{}.1", path.join("-")));
            let want = man::pages(tool)
                .into_iter()
                .find(|p| page.ends_with(&p.file))
                .expect("generated");
            assert_eq!(
                std::fs::read_to_string(&page).expect("installed page"),
                want.roff
            );
        }
        for shell in SHELLS {
            let rel = file_name(shell, tool.bin);
            let dir = match shell {
                clap_complete::Shell::Zsh => "zsh/site-functions",
                clap_complete::Shell::Fish => "fish/vendor_completions.d",
                _ => "bash-completion/completions",
            };
            let file = Path::new(&rel).file_name().expect("file name");
            let installed = share.join(dir).join(file);
            assert_eq!(
                std::fs::read_to_string(&installed).expect("installed completion"),
                gen_docs::complete::script(tool, shell),
                "{}",
                installed.display()
            );
        }
    }
    // `man` finds the installed page through the prefix.
    let found = Process::new("man")
        .args(["-w", "-M"])
        .arg(share.join("man"))
        .arg("ntpq")
        .output()
        .expect("man runs");
    assert!(
        String::from_utf8_lossy(&found.stdout).contains("man1/ntpq.1"),
        "{found:?}"
    );
    std::fs::remove_dir_all(&prefix).expect("clean up");
}
