//! Generating keys files (protocol notes §8.5): ntp-keygen's classic `-M` layout and its
//! extensions (other key types, counts and key numbers), and the `ntp.conf` lines that go with
//! a file.
//!
//! Randomness comes from the caller (the binaries read the operating system's random source),
//! so generation stays free of I/O and tests can feed fixed octets.
//!
//! Key texts are chosen so that every daemon reads the same secret: MD5 keys are 20 printable
//! characters other than `#` (read verbatim by ntpd 4.2.8, NTPsec and the ntpq/ntpdc password
//! prompt), every other type is written in hex with more than 20 digits (so it is always read
//! as hex): 20 octets for SHA1, 32 for SHA256 (64 digits, the most ntpd before 4.2.8p11 and
//! NTPsec decode), 16 for AES-128-CMAC.

use std::fmt::Write as _;
use std::io;
use std::ops::RangeInclusive;

use thiserror::Error;
use zeroize::Zeroizing;

use super::entry::{KeyEntry, MAX_FILE_KEY_ID};
use super::keys::KeysFile;
use super::{KeyId, KeyType};
use crate::time::CivilTime;

/// Keys of each type the classic tool writes (its `MD5KEYS`).
pub const CLASSIC_KEY_COUNT: u32 = 10;

/// Characters in a generated printable (MD5) key: the most a keys file reads verbatim.
pub const PRINTABLE_KEY_LEN: usize = 20;

/// The source of random octets: fills the buffer or fails.
pub type RandomSource<'a> = dyn FnMut(&mut [u8]) -> io::Result<()> + 'a;

/// Why keys cannot be generated.
#[derive(Debug, Error)]
pub enum KeygenError {
    /// No key type was asked for.
    #[error("no key type given")]
    NoTypes,
    /// A type asked for twice.
    #[error("key type {} given twice", .0.name())]
    RepeatedType(KeyType),
    /// A legacy DES type: ntpd 4.x and NTPsec refuse a file containing one.
    #[error("legacy DES keys (type {}) are not generated: ntpd 4.x and NTPsec reject files holding them", .0.name())]
    DesType(KeyType),
    /// A count of zero keys per type.
    #[error("the key count must be at least 1")]
    ZeroCount,
    /// Key numbers outside 1..=65535.
    #[error("keys {first} to {last} do not fit in the keys-file range 1 to 65535")]
    IdRange {
        /// The first number asked for.
        first: u64,
        /// The last number it implies.
        last: u64,
    },
    /// A file name part (`-i` name) the classic layout cannot carry.
    #[error("name '{0}' is unusable in a file name: use letters, digits, '.', '-' and '_'")]
    BadName(String),
    /// The random source failed.
    #[error("cannot read the random source")]
    Random(#[source] io::Error),
}

/// Which keys to generate: for each type in order, `count` keys with consecutive numbers
/// starting at `first_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeygenPlan {
    types: Vec<KeyType>,
    count: u32,
    first_id: u32,
}

impl KeygenPlan {
    /// `ntp-keygen -M`: keys 1–10 MD5, keys 11–20 SHA1.
    #[must_use]
    pub fn classic() -> Self {
        Self {
            types: vec![KeyType::Md5, KeyType::Sha1],
            count: CLASSIC_KEY_COUNT,
            first_id: 1,
        }
    }

    /// `count` keys of each of `types`, numbered from `first_id`.
    ///
    /// # Errors
    ///
    /// [`KeygenError::NoTypes`], [`KeygenError::RepeatedType`], [`KeygenError::DesType`],
    /// [`KeygenError::ZeroCount`], or [`KeygenError::IdRange`] when a number would fall outside
    /// 1..=65535.
    pub fn new(types: Vec<KeyType>, count: u32, first_id: u32) -> Result<Self, KeygenError> {
        if types.is_empty() {
            return Err(KeygenError::NoTypes);
        }
        for (index, kind) in types.iter().enumerate() {
            if kind.is_des() {
                return Err(KeygenError::DesType(*kind));
            }
            if types
                .get(..index)
                .is_some_and(|before| before.contains(kind))
            {
                return Err(KeygenError::RepeatedType(*kind));
            }
        }
        if count == 0 {
            return Err(KeygenError::ZeroCount);
        }
        let total = u64::from(count) * types.len() as u64;
        let last = u64::from(first_id) + total - 1;
        if first_id == 0 || last > u64::from(MAX_FILE_KEY_ID) {
            return Err(KeygenError::IdRange {
                first: u64::from(first_id),
                last,
            });
        }
        Ok(Self {
            types,
            count,
            first_id,
        })
    }

    /// The key types, in file order.
    #[must_use]
    pub fn types(&self) -> &[KeyType] {
        &self.types
    }

    /// Keys per type.
    #[must_use]
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The key numbers used, first to last.
    #[must_use]
    pub fn ids(&self) -> RangeInclusive<u32> {
        // `new` checked that the last number fits.
        self.first_id..=self.first_id + self.len() - 1
    }

    /// The number of keys.
    #[must_use]
    pub fn len(&self) -> u32 {
        // At most 65535 keys: `new` checked the range.
        u32::try_from(self.types.len()).unwrap_or(u32::MAX) * self.count
    }

    /// Whether the plan generates no key (never true for a plan that was built).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every key number with its type, in file order.
    pub fn keys(&self) -> impl Iterator<Item = (KeyId, KeyType)> + '_ {
        self.ids()
            .zip(
                self.types
                    .iter()
                    .flat_map(|&kind| std::iter::repeat_n(kind, self.count as usize)),
            )
            .map(|(id, kind)| (KeyId(id), kind))
    }
}

/// The name the classic tool gives a keys file: `ntpkey_MD5key_<name>.<ntp_seconds>`, where
/// `name` is the host (or `-i` group) name and `ntp_seconds` the creation time in NTP seconds.
///
/// # Errors
///
/// [`KeygenError::BadName`] unless `name` is non-empty and made of ASCII letters, digits, `.`,
/// `-` and `_` (a host or group name), so the file stays in its directory.
pub fn classic_file_name(name: &str, ntp_seconds: u32) -> Result<String, KeygenError> {
    let usable = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    if name.is_empty() || name.len() > 200 || !name.chars().all(usable) {
        let shown: String = name.chars().take(64).collect();
        return Err(KeygenError::BadName(shown.escape_default().to_string()));
    }
    Ok(format!("ntpkey_MD5key_{name}.{ntp_seconds}"))
}

/// The two comment lines the classic tool starts a file with: the file's name and its
/// creation time (`ctime` layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeygenHeader {
    title: String,
    created: CivilTime,
}

impl KeygenHeader {
    /// A header naming the file `title`, created at `created`.
    ///
    /// # Errors
    ///
    /// [`KeygenError::BadName`] if `title` holds a control character.
    pub fn new(title: &str, created: CivilTime) -> Result<Self, KeygenError> {
        if title.chars().any(char::is_control) {
            return Err(KeygenError::BadName(title.escape_default().to_string()));
        }
        Ok(Self {
            title: title.to_owned(),
            created,
        })
    }

    /// The file name the header gives.
    #[must_use]
    pub fn title(&self) -> &str {
        &self.title
    }
}

/// Generates the keys of `plan`, after `header` if given (two comment lines and a blank line,
/// as the classic tool writes), each key line ending in `# <TYPE> key`.
///
/// # Errors
///
/// [`KeygenError::Random`] if `random` fails.
pub fn generate(
    plan: &KeygenPlan,
    header: Option<&KeygenHeader>,
    random: &mut RandomSource<'_>,
) -> Result<KeysFile, KeygenError> {
    let mut file = KeysFile::new();
    if let Some(header) = header {
        // Both comments were checked when the header was built: no control characters.
        let _ = file.push_comment(&format!(" {}", header.title));
        let _ = file.push_comment(&format!(" {}", header.created.ctime()));
        file.push_blank();
    }
    for (id, kind) in plan.keys() {
        let text = key_text(kind, random)?;
        let comment = format!(" {} key", kind.name());
        // Generated texts are carryable and valid for their type, numbers are in range and
        // distinct: building and adding the entry cannot fail.
        if let Ok(entry) =
            KeyEntry::new(id, kind, &text).and_then(|e| e.with_comment(Some(&comment)))
        {
            let _ = file.push_entry(entry);
        }
    }
    Ok(file)
}

/// Secret octets a generated key of `kind` has (MD5: characters).
#[must_use]
pub const fn generated_len(kind: KeyType) -> usize {
    match kind {
        KeyType::Md5 | KeyType::Sha1 => 20,
        KeyType::Sha256 => 32,
        KeyType::Aes128Cmac => 16,
        KeyType::DesAscii | KeyType::DesStandard | KeyType::DesNtp => 8,
    }
}

fn key_text(
    kind: KeyType,
    random: &mut RandomSource<'_>,
) -> Result<Zeroizing<String>, KeygenError> {
    let len = generated_len(kind);
    if kind == KeyType::Md5 {
        return printable_text(len, random);
    }
    let mut secret = Zeroizing::new(vec![0_u8; len]);
    random(&mut secret).map_err(KeygenError::Random)?;
    let mut text = Zeroizing::new(String::with_capacity(2 * len));
    for octet in secret.iter() {
        // Writing to a String cannot fail.
        let _ = write!(text, "{octet:02x}");
    }
    Ok(text)
}

/// `len` characters uniformly from 0x21..=0x7E without `#`, by rejection as the classic tool
/// does (it draws octets; we draw 7-bit values, which rejects fewer and stays uniform).
fn printable_text(
    len: usize,
    random: &mut RandomSource<'_>,
) -> Result<Zeroizing<String>, KeygenError> {
    let mut text = Zeroizing::new(String::with_capacity(len));
    let mut pool = Zeroizing::new([0_u8; 32]);
    while text.len() < len {
        random(&mut pool[..]).map_err(KeygenError::Random)?;
        for &octet in pool.iter() {
            let c = octet & 0x7f;
            if text.len() < len && (0x21..=0x7e).contains(&c) && c != b'#' {
                text.push(char::from(c));
            }
        }
    }
    Ok(text)
}

/// The `ntp.conf` lines that use a keys file: `keys`, `trustedkey` (runs of three or more
/// numbers written as `(a ... b)`, which ntpd 4.2.8 and NTPsec both read), `requestkey` and
/// `controlkey` (NTPsec accepts `requestkey` and ignores it).
#[must_use]
pub fn config_lines(keys_path: &str, ids: &[KeyId], admin: KeyId) -> Vec<String> {
    vec![
        format!("keys {keys_path}"),
        format!("trustedkey {}", trusted_list(ids)),
        format!("requestkey {admin}"),
        format!("controlkey {admin}"),
    ]
}

/// Key numbers in ascending order, runs of three or more as `(a ... b)`.
fn trusted_list(ids: &[KeyId]) -> String {
    let mut sorted: Vec<u32> = ids.iter().map(|id| id.0).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut rest = sorted.as_slice();
    while let Some((&start, _)) = rest.split_first() {
        let run = rest
            .iter()
            .zip(start..)
            .take_while(|&(&id, want)| id == want)
            .count();
        let end = start + u32::try_from(run).unwrap_or(1) - 1;
        match run {
            1 => parts.push(start.to_string()),
            2 => parts.push(format!("{start} {end}")),
            _ => parts.push(format!("({start} ... {end})")),
        }
        rest = rest.get(run..).unwrap_or_default();
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::KeysLine;

    /// A deterministic "random" source: a counter.
    fn counter() -> impl FnMut(&mut [u8]) -> io::Result<()> {
        let mut next = 0_u8;
        move |buf: &mut [u8]| {
            for b in buf {
                *b = next;
                next = next.wrapping_add(1);
            }
            Ok(())
        }
    }

    #[test]
    fn classic_plan_is_ten_md5_and_ten_sha1() {
        let plan = KeygenPlan::classic();
        assert_eq!(plan.ids(), 1..=20);
        let keys: Vec<_> = plan.keys().collect();
        assert_eq!(keys.len(), 20);
        assert_eq!(keys[0], (KeyId(1), KeyType::Md5));
        assert_eq!(keys[9], (KeyId(10), KeyType::Md5));
        assert_eq!(keys[10], (KeyId(11), KeyType::Sha1));
        assert_eq!(keys[19], (KeyId(20), KeyType::Sha1));
    }

    #[test]
    fn plans_are_checked() {
        let cases: [(Vec<KeyType>, u32, u32, &str); 6] = [
            (vec![], 1, 1, "no key type given"),
            (
                vec![KeyType::Md5, KeyType::Md5],
                1,
                1,
                "key type MD5 given twice",
            ),
            (vec![KeyType::DesNtp], 1, 1, "legacy DES keys (type N)"),
            (vec![KeyType::Sha1], 0, 1, "at least 1"),
            (vec![KeyType::Sha1], 1, 0, "keys 0 to 0 do not fit"),
            (
                vec![KeyType::Sha1, KeyType::Md5],
                10,
                65_530,
                "keys 65530 to 65549 do not fit",
            ),
        ];
        for (types, count, first, want) in cases {
            let error = KeygenPlan::new(types, count, first)
                .unwrap_err()
                .to_string();
            assert!(error.contains(want), "{error}");
        }
        let plan = KeygenPlan::new(vec![KeyType::Aes128Cmac, KeyType::Sha256], 3, 65_530).unwrap();
        assert_eq!(plan.ids(), 65_530..=65_535);
        assert_eq!(plan.len(), 6);
    }

    #[test]
    fn generated_file_has_the_classic_layout() {
        let created = CivilTime::from_unix(1_491_004_800);
        let name = classic_file_name("host", 3_700_000_000).unwrap();
        assert_eq!(name, "ntpkey_MD5key_host.3700000000");
        let header = KeygenHeader::new(&name, created).unwrap();
        let file = generate(&KeygenPlan::classic(), Some(&header), &mut counter()).unwrap();
        let text = file.to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 23);
        assert_eq!(lines[0], "# ntpkey_MD5key_host.3700000000");
        assert_eq!(lines[1], "# Sat Apr  1 00:00:00 2017");
        assert_eq!(lines[2], "");
        // The counter's first printable values are 0x21.. (octets 0x00..0x20 are rejected).
        assert_eq!(lines[3], " 1 MD5 !\"$%&'()*+,-./012345  # MD5 key");
        for (index, line) in lines[3..13].iter().enumerate() {
            let fields: Vec<&str> = line.split(' ').filter(|f| !f.is_empty()).collect();
            assert_eq!(fields[0], (index + 1).to_string());
            assert_eq!(fields[1], "MD5");
            assert_eq!(fields[2].len(), 20);
            assert!(!fields[2].contains('#'));
            assert!(line.ends_with("  # MD5 key"));
        }
        for (index, line) in lines[13..].iter().enumerate() {
            assert!(
                line.starts_with(&format!("{:>2} SHA1 ", index + 11)),
                "{line}"
            );
            assert!(line.ends_with("  # SHA1 key"));
            let key = line.split(' ').nth(2).unwrap();
            assert_eq!(key.len(), 40);
            assert!(
                key.bytes()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            );
        }
        // What was written reads back as the same file.
        assert_eq!(KeysFile::parse("k", &text).unwrap(), file);
    }

    #[test]
    fn every_type_gets_its_length_and_reads_back() {
        let plan = KeygenPlan::new(
            vec![
                KeyType::Md5,
                KeyType::Sha1,
                KeyType::Sha256,
                KeyType::Aes128Cmac,
            ],
            2,
            100,
        )
        .unwrap();
        let file = generate(&plan, None, &mut counter()).unwrap();
        assert_eq!(file.len(), 8);
        assert!(file.lines().iter().all(|l| matches!(l, KeysLine::Entry(_))));
        for (id, kind) in plan.keys() {
            let entry = file.entry(id).unwrap();
            assert_eq!(entry.kind(), kind);
            assert_eq!(entry.key().secret().len(), generated_len(kind), "{kind}");
            assert_eq!(
                entry.comment(),
                Some(format!(" {} key", kind.name()).as_str())
            );
        }
        assert!(KeysFile::lint(&file.to_text()).is_empty());
    }

    #[test]
    fn printable_keys_never_hold_a_hash_and_are_uniform_enough() {
        // Octets cycling through every value: every printable character but `#` appears.
        let mut source = counter();
        let text = printable_text(2000, &mut source).unwrap();
        assert!(!text.contains('#'));
        let distinct: std::collections::BTreeSet<char> = text.chars().collect();
        assert_eq!(distinct.len(), 93);
        assert!(distinct.iter().all(char::is_ascii_graphic));
    }

    #[test]
    fn random_failures_are_reported() {
        let mut broken = |_: &mut [u8]| Err(io::Error::other("no entropy"));
        let error = generate(&KeygenPlan::classic(), None, &mut broken).unwrap_err();
        assert!(matches!(error, KeygenError::Random(_)));
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", "a/b", "a b", "host\n", "é"] {
            assert!(
                matches!(classic_file_name(bad, 1), Err(KeygenError::BadName(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            classic_file_name("ntp-1.example_a", 7).unwrap(),
            "ntpkey_MD5key_ntp-1.example_a.7"
        );
        assert!(KeygenHeader::new("a\tb", CivilTime::from_unix(0)).is_err());
    }

    proptest::proptest! {
        /// Whatever octets the random source gives, the file reads back unchanged and is clean.
        #[test]
        fn any_random_stream_gives_a_clean_file(
            seed in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..64),
            count in 1_u32..4,
        ) {
            let plan = KeygenPlan::new(
                vec![KeyType::Md5, KeyType::Sha1, KeyType::Sha256, KeyType::Aes128Cmac],
                count,
                1,
            )
            .unwrap();
            let mut at = 0;
            let mut source = |buf: &mut [u8]| {
                for b in buf {
                    *b = seed[at % seed.len()].wrapping_add((at / seed.len()) as u8);
                    at += 1;
                }
                Ok(())
            };
            let file = generate(&plan, None, &mut source).unwrap();
            let text = file.to_text();
            proptest::prop_assert_eq!(KeysFile::parse("k", &text).unwrap(), file);
            proptest::prop_assert!(KeysFile::lint(&text).is_empty());
        }
    }

    #[test]
    fn config_lines_compress_runs() {
        let ids: Vec<KeyId> = [5, 1, 2, 3, 7, 8, 10, 11, 12, 13]
            .into_iter()
            .map(KeyId)
            .collect();
        assert_eq!(
            config_lines("/etc/ntp.keys", &ids, KeyId(1)),
            [
                "keys /etc/ntp.keys",
                "trustedkey (1 ... 3) 5 7 8 (10 ... 13)",
                "requestkey 1",
                "controlkey 1",
            ]
        );
        assert_eq!(trusted_list(&[KeyId(4)]), "4");
    }
}
