//! The command line of `ntp-keygen` and the plan it resolves to.
//!
//! Without a mode option `ntp-keygen` generates keys (classic `-M`); `--check`, `--des` and
//! `--chrony` select the other modes, which take none of the generation options.

use std::fmt;
use std::path::PathBuf;

use clap::{ArgGroup, Parser};
use ntpkit::auth::keygen::{CLASSIC_KEY_COUNT, KeygenPlan};
use ntpkit::auth::{KeyId, KeyType};

/// Command line of `ntp-keygen`.
#[derive(Debug, Parser)]
#[command(
    name = "ntp-keygen",
    version,
    about = "generate and check NTP symmetric keys files",
    long_about = "Generates NTP symmetric keys files (by default as the classic `ntp-keygen -M`: \
                  10 MD5 and 10 SHA1 keys in ntpkey_MD5key_<host>.<NTP seconds>, linked from \
                  ntp.keys, mode 0600), checks keys files, and converts legacy DES keys and keys \
                  files for chrony. Keys come from the operating system's random source.",
    group(ArgGroup::new("generation").multiple(true).args([
        "md5key", "ident", "types", "count", "first_id", "output", "dir", "force", "config",
        "admin_key",
    ])),
    group(ArgGroup::new("mode").args(["check", "des", "chrony"])),
)]
pub struct Cli {
    /// Generate a symmetric keys file (the default; the classic option)
    #[arg(short = 'M', long = "md5key")]
    pub md5key: bool,

    /// Name in the file name ntpkey_MD5key_<NAME>.<NTP seconds> [default: the host name]
    #[arg(short = 'i', long = "ident", value_name = "NAME")]
    pub ident: Option<String>,

    /// Key types, in file order: md5, sha1, sha256, aes128cmac [default: md5,sha1]
    #[arg(
        short = 't',
        long = "type",
        value_name = "TYPE",
        value_delimiter = ',',
        value_parser = parse_digest_type
    )]
    pub types: Vec<KeyType>,

    /// Keys of each type
    #[arg(short = 'n', long, value_name = "N", default_value_t = CLASSIC_KEY_COUNT)]
    pub count: u32,

    /// Number of the first key; the others follow
    #[arg(long, value_name = "ID", default_value_t = 1)]
    pub first_id: u32,

    /// Write the keys to FILE instead of the classic name and link ('-': standard output)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Directory for the classic file and its ntp.keys link [default: the current directory]
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub dir: Option<PathBuf>,

    /// Replace an existing file (and a regular file named ntp.keys)
    #[arg(long)]
    pub force: bool,

    /// Print the ntp.conf lines for the new file: keys, trustedkey, requestkey, controlkey
    #[arg(long)]
    pub config: bool,

    /// The requestkey and controlkey of --config [default: the first key]
    #[arg(long, value_name = "ID")]
    pub admin_key: Option<u32>,

    /// Check keys files: syntax, duplicates, ranges, types, hex-looking keys, characters, DES
    /// parity, permissions
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "generation")]
    pub check: Vec<PathBuf>,

    /// Convert the legacy DES KEYs between the A, S and N forms (classic keyparity)
    #[arg(long, conflicts_with = "generation")]
    pub des: bool,

    /// The DES keys of --des (put '--' before a key starting with '-')
    #[arg(value_name = "KEY", requires = "des")]
    pub keys: Vec<String>,

    /// The form --des keys are given in: A (1-8 characters), S (standard hex) or N (NTP hex)
    #[arg(long, value_name = "FORM", requires = "des", value_parser = parse_des_form, default_value = "S")]
    pub from: KeyType,

    /// The form --des prints: A, S or N [default: S]; --json prints all three
    #[arg(long, value_name = "FORM", requires = "des", value_parser = parse_des_form)]
    pub to: Option<KeyType>,

    /// Set the parity bits of S and N keys that lack odd parity instead of refusing them
    #[arg(long, requires = "des")]
    pub fix_parity: bool,

    /// Convert a keys file to chrony's key file format (on standard output)
    #[arg(long, value_name = "FILE", conflicts_with = "generation")]
    pub chrony: Option<PathBuf>,

    /// Print JSON: one document per command (per file for --check)
    #[arg(long)]
    pub json: bool,
}

/// A digest or CMAC type name, spelled as in a keys file (`md5`, `sha1`, `sha256`,
/// `aes128cmac`, `aes`), without ntpd's "anything starting with M" fallback.
fn parse_digest_type(text: &str) -> Result<KeyType, String> {
    let kind = KeyType::from_name(text).map_err(|e| e.to_string())?;
    if kind.is_des() || KeyType::is_md5_fallback_name(text) {
        return Err(format!(
            "'{text}' is not a generated key type (md5, sha1, sha256, aes128cmac)"
        ));
    }
    Ok(kind)
}

/// A DES key form: `A`, `S` or `N`.
fn parse_des_form(text: &str) -> Result<KeyType, String> {
    match KeyType::from_name(text) {
        Ok(kind) if kind.is_des() => Ok(kind),
        _ => Err(format!("'{text}' is not a DES key form (A, S or N)")),
    }
}

/// A command line that parses but asks for something impossible: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Where generated keys go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The classic name in `dir`, with an `ntp.keys` link.
    Classic {
        /// The directory.
        dir: PathBuf,
    },
    /// A file of the user's choosing, no link.
    File(PathBuf),
    /// Standard output.
    Stdout,
}

/// Key generation, resolved.
#[derive(Debug, Clone)]
pub struct GeneratePlan {
    /// Which keys.
    pub keys: KeygenPlan,
    /// The name part of the classic file name, if given.
    pub ident: Option<String>,
    /// Where the keys go.
    pub destination: Destination,
    /// Replace existing files.
    pub force: bool,
    /// Print the configuration lines.
    pub config: bool,
    /// The requestkey/controlkey.
    pub admin: KeyId,
}

/// What to do.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Generate a keys file.
    Generate(GeneratePlan),
    /// Check keys files.
    Check(Vec<PathBuf>),
    /// Convert DES keys.
    Des {
        /// The keys.
        keys: Vec<String>,
        /// Their form.
        from: KeyType,
        /// The form to print.
        to: KeyType,
        /// Fix parity instead of refusing.
        fix_parity: bool,
    },
    /// Convert a keys file for chrony.
    Chrony(PathBuf),
}

impl Cli {
    /// Resolves the options into one plan.
    ///
    /// # Errors
    ///
    /// [`UsageError`] for combinations clap cannot express: an impossible key plan, an admin
    /// key outside it, or two things bound for standard output.
    pub fn plan(&self) -> Result<Plan, UsageError> {
        if !self.check.is_empty() {
            return Ok(Plan::Check(self.check.clone()));
        }
        if self.des {
            if self.keys.is_empty() {
                return Err(UsageError("--des needs at least one KEY".to_owned()));
            }
            return Ok(Plan::Des {
                keys: self.keys.clone(),
                from: self.from,
                to: self.to.unwrap_or(KeyType::DesStandard),
                fix_parity: self.fix_parity,
            });
        }
        if let Some(file) = &self.chrony {
            return Ok(Plan::Chrony(file.clone()));
        }
        let keys = if self.types.is_empty() {
            KeygenPlan::new(vec![KeyType::Md5, KeyType::Sha1], self.count, self.first_id)
        } else {
            KeygenPlan::new(self.types.clone(), self.count, self.first_id)
        }
        .map_err(|e| UsageError(e.to_string()))?;
        let destination = match &self.output {
            Some(path) if path.as_os_str() == "-" => Destination::Stdout,
            Some(path) => Destination::File(path.clone()),
            None => Destination::Classic {
                dir: self.dir.clone().unwrap_or_else(|| PathBuf::from(".")),
            },
        };
        if destination == Destination::Stdout && (self.config || self.json) {
            return Err(UsageError(
                "'-o -' writes the keys to standard output: --config and --json cannot share it"
                    .to_owned(),
            ));
        }
        let admin = KeyId(self.admin_key.unwrap_or(*keys.ids().start()));
        if !keys.ids().contains(&admin.0) {
            return Err(UsageError(format!(
                "--admin-key {admin} is not one of the keys generated ({} to {})",
                keys.ids().start(),
                keys.ids().end()
            )));
        }
        Ok(Plan::Generate(GeneratePlan {
            keys,
            ident: self.ident.clone(),
            destination,
            force: self.force,
            config: self.config,
            admin,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan, String> {
        let cli = Cli::try_parse_from(std::iter::once("ntp-keygen").chain(args.iter().copied()))
            .map_err(|e| e.kind().to_string())?;
        cli.plan().map_err(|e| e.to_string())
    }

    #[test]
    fn default_is_the_classic_generation() {
        for args in [&[][..], &["-M"]] {
            let Ok(Plan::Generate(p)) = plan(args) else {
                panic!("{args:?}")
            };
            assert_eq!(p.keys, KeygenPlan::classic());
            assert_eq!(p.destination, Destination::Classic { dir: ".".into() });
            assert_eq!(p.admin, KeyId(1));
            assert!(!p.force && !p.config);
        }
    }

    #[test]
    fn generation_options_resolve() {
        let Ok(Plan::Generate(p)) = plan(&[
            "-t",
            "aes128cmac,SHA256",
            "-n",
            "3",
            "--first-id",
            "100",
            "-o",
            "k",
            "--config",
            "--admin-key",
            "102",
        ]) else {
            panic!()
        };
        assert_eq!(p.keys.types(), [KeyType::Aes128Cmac, KeyType::Sha256]);
        assert_eq!(p.keys.ids(), 100..=105);
        assert_eq!(p.destination, Destination::File("k".into()));
        assert_eq!(p.admin, KeyId(102));
        let Ok(Plan::Generate(p)) = plan(&["-o", "-"]) else {
            panic!()
        };
        assert_eq!(p.destination, Destination::Stdout);
    }

    #[test]
    fn impossible_requests_are_usage_errors() {
        let cases: [(&[&str], &str); 11] = [
            (&["-t", "mine"], "invalid value"),
            (&["-t", "s"], "invalid value"),
            (&["-t", "sha384"], "invalid value"),
            (&["--check", "f", "-M"], "cannot be used with"),
            (&["--des", "abc", "--chrony", "f"], "cannot be used with"),
            (&["abc"], "required arguments were not provided"),
            (&["--des"], "--des needs at least one KEY"),
            (&["--from", "A"], "required arguments were not provided"),
            (&["-o", "-", "--config"], "cannot share"),
            (
                &["--admin-key", "21"],
                "not one of the keys generated (1 to 20)",
            ),
            (&["--first-id", "65530"], "do not fit"),
        ];
        for (args, want) in cases {
            let got = plan(args).unwrap_err();
            assert!(got.contains(want), "{args:?}: {got}");
        }
    }

    #[test]
    fn modes_resolve() {
        let Ok(Plan::Check(files)) = plan(&["--check", "a", "b"]) else {
            panic!()
        };
        assert_eq!(files, [PathBuf::from("a"), PathBuf::from("b")]);
        let Ok(Plan::Des {
            keys,
            from,
            to,
            fix_parity,
        }) = plan(&[
            "--des",
            "--from",
            "a",
            "--to",
            "N",
            "--fix-parity",
            "--",
            "-abc",
        ])
        else {
            panic!()
        };
        assert_eq!(keys, ["-abc"]);
        assert_eq!(
            (from, to, fix_parity),
            (KeyType::DesAscii, KeyType::DesNtp, true)
        );
        assert!(matches!(plan(&["--chrony", "k"]), Ok(Plan::Chrony(_))));
    }
}
