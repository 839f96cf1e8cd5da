//! Keys files (`ntp.keys`, protocol notes §8.1): reading, checking and writing.
//!
//! Grammar, one entry per line, tokens separated by spaces or tabs, `#` starting a comment
//! anywhere:
//!
//! ```text
//! keyno type key [acl]      # keyno 1..65535; acl = addr[/bits][,addr[/bits]...]
//! ```
//!
//! Reading is strict where ntpd is lenient, because a keys file mistake is a silent
//! authentication failure later: any error rejects the whole file (as ntpd 4.2.8p6+ does), and
//! so do text after the access list (ntpd ignores it), key numbers that are not plain decimal
//! (ntpd uses `atoi`), non-ASCII or control characters outside comments, carriage returns (a
//! CRLF file makes ntpd read `\r` as part of the last token), and duplicate key numbers
//! (ntpd 4.2.8 keeps the first definition, NTPsec the last, so the file means different keys to
//! different daemons). [`KeysFile::lint`] reports all of these and more without stopping at
//! the first.
//!
//! Writing ([`KeysFile::to_text`]) keeps every line: blank lines, comments, and for each key its
//! type spelling, key text, access list and trailing comment, so reading the text back gives an
//! equal [`KeysFile`]. Entries built in code are checked when built ([`KeyEntry::new`]) so that
//! their text survives the tokenizer; [`KeyEntry::from_secret`] picks a text (verbatim or hex)
//! that reads back to the same secret.
//!
//! Errors and findings never contain key material: they name key numbers, columns and
//! positions, and echo only type names.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read as _};
use std::path::Path;

use zeroize::Zeroizing;

use super::Key;
use super::KeyId;
use super::entry::{self, KeyEntry};
use super::error::{KeysError, KeysErrorKind};
use super::lint::{self, KeysFinding};
use super::scan::{build_line, scan_line, split_lines};

/// The longest line accepted, in octets without the newline.
pub const MAX_LINE_LEN: usize = 4096;

/// The largest keys file accepted, in octets (65535 hex keys with access lists fit easily).
pub const MAX_KEYS_FILE_LEN: usize = 8 << 20;

/// One line of a keys file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysLine {
    /// An empty (or all-blank) line.
    Blank,
    /// A comment-only line: the text after `#`.
    Comment(String),
    /// A key.
    Entry(KeyEntry),
}

/// A parsed keys file: its lines in order, with keys looked up by number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeysFile {
    lines: Vec<KeysLine>,
    index: BTreeMap<KeyId, usize>,
}

impl KeysFile {
    /// An empty file.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `text`; `path` only labels errors.
    ///
    /// # Errors
    ///
    /// The first problem found, with its line; the whole file is rejected.
    pub fn parse(path: impl AsRef<Path>, text: &str) -> Result<Self, KeysError> {
        Self::parse_bytes(path, text.as_bytes())
    }

    /// Parses raw file contents, which need not be UTF-8; `path` only labels errors.
    ///
    /// # Errors
    ///
    /// As [`KeysFile::parse`]; invalid UTF-8 is [`KeysErrorKind::NotUtf8`] on its line.
    pub fn parse_bytes(path: impl AsRef<Path>, bytes: &[u8]) -> Result<Self, KeysError> {
        let error = |line, kind| KeysError {
            path: path.as_ref().to_owned(),
            line,
            kind,
        };
        if bytes.len() > MAX_KEYS_FILE_LEN {
            return Err(error(0, too_large(bytes.len() as u64)));
        }
        let mut file = Self::new();
        for (number, raw) in split_lines(bytes) {
            let line = scan_line(raw)
                .and_then(|scanned| build_line(&scanned))
                .map_err(|kind| error(number, kind))?;
            file.push_line(line).map_err(|kind| error(number, kind))?;
        }
        Ok(file)
    }

    /// Reads and parses the file at `path`.
    ///
    /// # Errors
    ///
    /// [`KeysErrorKind::Io`] or [`KeysErrorKind::FileTooLarge`] on line 0, else as
    /// [`KeysFile::parse`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, KeysError> {
        let path = path.as_ref();
        let error = |kind| KeysError {
            path: path.to_owned(),
            line: 0,
            kind,
        };
        let io_error = |e: io::Error| {
            error(KeysErrorKind::Io {
                kind: e.kind(),
                message: e.to_string(),
            })
        };
        let file = std::fs::File::open(path).map_err(io_error)?;
        let hint = file.metadata().map(|m| m.len()).unwrap_or(0);
        if hint > MAX_KEYS_FILE_LEN as u64 {
            return Err(error(too_large(hint)));
        }
        // Sized up front so reading does not reallocate and leave unzeroized copies behind.
        let capacity = usize::try_from(hint).unwrap_or(0).saturating_add(1);
        let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
        file.take(MAX_KEYS_FILE_LEN as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(io_error)?;
        Self::parse_bytes(path, &buf)
    }

    /// Checks `text` without stopping at the first problem; see [`KeysFinding`].
    #[must_use]
    pub fn lint(text: &str) -> Vec<KeysFinding> {
        lint::lint_bytes(text.as_bytes())
    }

    /// As [`KeysFile::lint`], for raw file contents.
    #[must_use]
    pub fn lint_bytes(bytes: &[u8]) -> Vec<KeysFinding> {
        lint::lint_bytes(bytes)
    }

    /// The key numbered `id`, if the file defines it.
    #[must_use]
    pub fn get(&self, id: KeyId) -> Option<&Key> {
        self.entry(id).map(KeyEntry::key)
    }

    /// The entry for key `id`, if the file defines it.
    #[must_use]
    pub fn entry(&self, id: KeyId) -> Option<&KeyEntry> {
        match self.lines.get(*self.index.get(&id)?)? {
            KeysLine::Entry(entry) => Some(entry),
            KeysLine::Blank | KeysLine::Comment(_) => None,
        }
    }

    /// The entries in file order.
    pub fn entries(&self) -> impl Iterator<Item = &KeyEntry> {
        self.lines.iter().filter_map(|line| match line {
            KeysLine::Entry(entry) => Some(entry),
            KeysLine::Blank | KeysLine::Comment(_) => None,
        })
    }

    /// All lines in order, comments and blanks included.
    #[must_use]
    pub fn lines(&self) -> &[KeysLine] {
        &self.lines
    }

    /// The number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the file defines no key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Appends an empty line.
    pub fn push_blank(&mut self) {
        self.lines.push(KeysLine::Blank);
    }

    /// Appends a comment line; `text` is what follows the `#`.
    ///
    /// # Errors
    ///
    /// [`KeysErrorKind::BadComment`] for control characters, [`KeysErrorKind::LineTooLong`].
    pub fn push_comment(&mut self, text: &str) -> Result<(), KeysErrorKind> {
        self.push_line(KeysLine::Comment(text.to_owned()))
    }

    /// Appends a key.
    ///
    /// # Errors
    ///
    /// [`KeysErrorKind::DuplicateKey`] if the number is taken, [`KeysErrorKind::LineTooLong`]
    /// if the line would not be read back.
    pub fn push_entry(&mut self, entry: KeyEntry) -> Result<(), KeysErrorKind> {
        self.push_line(KeysLine::Entry(entry))
    }

    /// Puts `entry` in place of the key with the same number (keeping its position), or
    /// appends it; returns the entry replaced.
    ///
    /// # Errors
    ///
    /// [`KeysErrorKind::LineTooLong`] if the line would not be read back.
    pub fn replace_entry(&mut self, entry: KeyEntry) -> Result<Option<KeyEntry>, KeysErrorKind> {
        let Some(&at) = self.index.get(&entry.id()) else {
            self.push_entry(entry)?;
            return Ok(None);
        };
        let line = KeysLine::Entry(entry);
        check_line_len(&line)?;
        Ok(
            match self
                .lines
                .get_mut(at)
                .map(|slot| std::mem::replace(slot, line))
            {
                Some(KeysLine::Entry(old)) => Some(old),
                _ => None,
            },
        )
    }

    /// The file as text, one line per [`KeysLine`], each ending in a newline; reading it back
    /// gives an equal `KeysFile`. Entries use ntp-keygen's layout, so a file ntp-keygen wrote
    /// comes back byte for byte. The text holds secrets and is zeroized on drop.
    #[must_use]
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut counter = LenCounter(0);
        // Neither writer can fail.
        let _ = self.render(&mut counter);
        let mut out = Zeroizing::new(String::with_capacity(counter.0));
        let _ = self.render(&mut *out);
        out
    }

    fn render(&self, out: &mut impl fmt::Write) -> fmt::Result {
        for line in &self.lines {
            render_line(line, out)?;
            out.write_char('\n')?;
        }
        Ok(())
    }

    fn push_line(&mut self, line: KeysLine) -> Result<(), KeysErrorKind> {
        check_line_len(&line)?;
        match &line {
            KeysLine::Entry(entry) => {
                if let Some(&at) = self.index.get(&entry.id()) {
                    return Err(KeysErrorKind::DuplicateKey {
                        id: entry.id(),
                        first_line: at + 1,
                    });
                }
                self.index.insert(entry.id(), self.lines.len());
            }
            KeysLine::Comment(text) => entry::check_comment(text)?,
            KeysLine::Blank => {}
        }
        self.lines.push(line);
        Ok(())
    }
}

fn too_large(len: u64) -> KeysErrorKind {
    KeysErrorKind::FileTooLarge {
        len,
        max: MAX_KEYS_FILE_LEN as u64,
    }
}

fn render_line(line: &KeysLine, out: &mut impl fmt::Write) -> fmt::Result {
    match line {
        KeysLine::Blank => Ok(()),
        KeysLine::Comment(text) => write!(out, "#{text}"),
        KeysLine::Entry(entry) => entry.render(out),
    }
}

fn check_line_len(line: &KeysLine) -> Result<(), KeysErrorKind> {
    let mut counter = LenCounter(0);
    let _ = render_line(line, &mut counter);
    if counter.0 > MAX_LINE_LEN {
        return Err(KeysErrorKind::LineTooLong {
            len: counter.0,
            max: MAX_LINE_LEN,
        });
    }
    Ok(())
}

/// Counts what would be written, so output buffers can be sized once.
struct LenCounter(usize);

impl fmt::Write for LenCounter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use proptest::prelude::*;

    use super::*;
    use crate::auth::test_gens::{keys_file_any, keys_noise_any};
    use crate::auth::{KeyAcl, KeyAclEntry, KeyAclError, KeyTextError, KeyType, KeyTypeError, des};

    /// Every form a secret could leak in: its text, its octets as hex (both cases, packed and
    /// as a hex dump shows them), and its octets as text when the text was hex.
    fn secret_forms(text: &str, octets: &[u8]) -> Vec<String> {
        let hex: String = octets.iter().map(|b| format!("{b:02x}")).collect();
        let dump: Vec<String> = octets.iter().take(6).map(|b| format!("{b:02x}")).collect();
        let mut forms = vec![
            text.to_owned(),
            hex.clone(),
            hex.to_uppercase(),
            dump.join(" "),
            format!("{:?}", octets.get(..6).unwrap_or(octets)),
        ];
        if let Ok(ascii) = std::str::from_utf8(octets)
            && ascii.len() >= 6
        {
            forms.push(ascii.to_owned());
        }
        forms
    }

    #[test]
    fn debug_of_files_entries_keys_and_errors_shows_no_secret_form() {
        let md5 = "Zq8LeakCheckMd5X";
        let sha1 = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";
        let aes = "ae5ae5ae5ae5ae5ae5ae5ae5ae5ae5ae";
        // A hex key whose octets are printable text.
        let texty = "4c65616b6564546578744b6579";
        let text = format!("1 MD5 {md5}\n2 SHA1 {sha1}\n3 AES128CMAC {aes}\n4 SHA256 {texty}\n");
        let file = KeysFile::parse("k", &text).unwrap();
        let mut shown = format!("{file:?} {:?}", file.lines());
        for entry in file.entries() {
            shown.push_str(&format!("{entry:?} {:?}", entry.key()));
        }
        for (id, given) in [(1, md5), (2, sha1), (3, aes), (4, texty)] {
            let key = file.get(KeyId(id)).unwrap();
            for form in secret_forms(given, key.secret()) {
                assert!(
                    !shown.contains(&form),
                    "key {id} shows as {form:?} in {shown}"
                );
            }
        }
        // Errors about a bad secret name the key and what is wrong, never the text.
        for (bad, what) in [
            (
                "1 MD5 Zq8LeakCheckMd5XtooLongForText\n",
                "Zq8LeakCheckMd5XtooLongForText",
            ),
            (
                "2 SHA1 5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ecg\n",
                "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ecg",
            ),
            (
                "3 AES128CMAC ae5ae5ae5ae5ae5ae5ae5ae5ae5ae5azz\n",
                "ae5ae5ae5ae5ae5ae5ae5ae5ae5ae5azz",
            ),
            ("4 MD5 Zq8LeakMe\u{7f}Check\n", "Zq8LeakMe"),
        ] {
            let err = KeysFile::parse("k", bad).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(what), "{shown}");
            assert!(
                !shown.contains(&what[..8]),
                "a prefix of the secret: {shown}"
            );
            for finding in KeysFile::lint(bad) {
                assert!(!finding.message.contains(&what[..8]), "{}", finding.message);
            }
        }
    }

    /// ntp-keygen -M output (protocol notes §8.5) with made-up keys.
    const KEYGEN_FILE: &str = r##"# ntpkey_MD5key_host.3700000000
# Sat Apr  1 00:00:00 2017

 1 MD5 43b9yyX6Rzf0]n/.S[5E  # MD5 key
 2 MD5 W?n/,)CaV9UHbL|>p~SS  # MD5 key
 3 MD5 bAS/52J~43Si6ff$"@w{  # MD5 key
 4 MD5 ^uzRQ5$75>ZRLkTzr+:f  # MD5 key
 5 MD5 $(,x>Os{HZ{T<`-=I5n}  # MD5 key
 6 MD5 $GFi%Y1M?7LAu+]zp,4L  # MD5 key
 7 MD5 gEi|rSsBes|s'u'GjKxX  # MD5 key
 8 MD5 $`vkR;/Za=}TV7W)1{=c  # MD5 key
 9 MD5 ?~ur]~HYt+Pn^WNg2:}q  # MD5 key
10 MD5 4TS$27,FpW5o,Hs1\I(!  # MD5 key
11 SHA1 5f89dbcbc53ab09b69549e7b5bc9a5a1776b6760  # SHA1 key
12 SHA1 c9ee7f14d938394dc331957a4ddfc525ac83fb1d  # SHA1 key
13 SHA1 31d3a32710f795ad7b22375f519770d387ffd32e  # SHA1 key
14 SHA1 4966d232f03ab61562fd3d43d54234e15bebd531  # SHA1 key
15 SHA1 521c5ae81667c756c00ff767127cf8f3ecf64bd2  # SHA1 key
16 SHA1 abce139aa456c69171cc60f9dab39f617746b070  # SHA1 key
17 SHA1 423a1bad142bbf5a8679ee036262292871fa1463  # SHA1 key
18 SHA1 040610adbb592d9f6ae51d4d4a65d7d725df8e45  # SHA1 key
19 SHA1 3566f21478649953769d196e31ee15ec24762fce  # SHA1 key
20 SHA1 adbd6e5e3e0292c21c771e818eb4ded730868778  # SHA1 key
"##;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The authspeed packet P of protocol notes §10.1.
    fn authspeed_packet() -> Vec<u8> {
        (0..12_u32)
            .flat_map(|i| (i * 0x22222).to_be_bytes())
            .collect()
    }

    fn parse_err(text: &str) -> KeysError {
        KeysFile::parse("ntp.keys", text).unwrap_err()
    }

    #[test]
    fn keygen_output_parses_and_round_trips_byte_for_byte() {
        let file = KeysFile::parse("ntp.keys", KEYGEN_FILE).unwrap();
        assert_eq!(file.len(), 20);
        assert_eq!(file.lines().len(), 23);
        assert_eq!(file.lines()[2], KeysLine::Blank);
        assert_eq!(
            file.lines()[0],
            KeysLine::Comment(" ntpkey_MD5key_host.3700000000".into())
        );
        let one = file.entry(KeyId(1)).unwrap();
        assert_eq!(one.kind(), KeyType::Md5);
        assert_eq!(one.key().secret(), b"43b9yyX6Rzf0]n/.S[5E");
        assert_eq!(one.comment(), Some(" MD5 key"));
        let three = file.get(KeyId(3)).unwrap();
        assert_eq!(three.secret(), br#"bAS/52J~43Si6ff$"@w{"#);
        let eleven = file.get(KeyId(11)).unwrap();
        assert_eq!(eleven.kind(), KeyType::Sha1);
        assert_eq!(
            eleven.secret(),
            unhex("5f89dbcbc53ab09b69549e7b5bc9a5a1776b6760")
        );
        assert!(file.get(KeyId(21)).is_none());
        let ids: Vec<u32> = file.entries().map(|e| e.id().0).collect();
        assert_eq!(ids, (1..=20).collect::<Vec<_>>());
        assert_eq!(*file.to_text(), KEYGEN_FILE);
    }

    #[test]
    fn ntpsec_aes_lines_parse() {
        let text = "# ntpkey_AES_host.1491004800\n# Sat Apr  1 00:00:00 2017\n\n \
                    1 AES M7Vw*-h0Rn+d?(/[\n 2 aes Y,B/jZ+l3@ttn+mn\n\
                    11 AES cb1971174494d6493c9d5c3460be3120\n\
                    12 AES128CMAC 1e69fedaa0eee8b9997f5c7c2999fdaf\n";
        let file = KeysFile::parse("ntp.keys", text).unwrap();
        for id in [1, 2, 11, 12] {
            let key = file.get(KeyId(id)).unwrap();
            assert_eq!(key.kind(), KeyType::Aes128Cmac, "{id}");
            assert_eq!(key.secret().len(), 16, "{id}");
        }
        assert_eq!(file.entry(KeyId(2)).unwrap().type_name(), "aes");
        assert_eq!(
            file.get(KeyId(11)).unwrap().secret(),
            unhex("cb1971174494d6493c9d5c3460be3120")
        );
        // V3 of protocol notes §10.1 through a parsed key.
        let v3 = KeysFile::parse("k", "7 AES 0123456789abcdef\n").unwrap();
        assert_eq!(
            v3.get(KeyId(7)).unwrap().mac(b"ijklmnopqrstuvwx"),
            unhex("b0a1cfd27f690c43a75d6c55914b1514")
        );
    }

    /// xntp3 `auth.samplekeys` (protocol notes §9.4), MACs over the authspeed packet P.
    ///
    /// The standard forms and MACs were produced independently by
    /// `common/tests/data/des_vectors.py` (PyCryptodome 4.4.0 DES in CBC mode with a zero IV,
    /// Python's hashlib for MD5, and its own A/S/N conversions); keys 1, 3, 5 and 16 agree with
    /// V7–V10 of protocol notes §10.1.
    #[test]
    fn sample_keys_match_independent_vectors() {
        let vectors = [
            (
                1,
                "S",
                "0101010101010101",
                "0101010101010101",
                "fc9e2e4fa86bd1c4",
            ),
            (
                2,
                "N",
                "8080808080808080",
                "0101010101010101",
                "fc9e2e4fa86bd1c4",
            ),
            (3, "A", "ugosnod", "eacedfe6dcdfc801", "806456f11c30efe7"),
            (4, "A", "BigbOObs", "85d3cec49e9ec4e6", "d11fbcfed7eb125f"),
            (
                5,
                "S",
                "f1f1f1f1f1f1f1f1",
                "f1f1f1f1f1f1f1f1",
                "da7415f7a76e7352",
            ),
            (
                6,
                "N",
                "f8f8f8f8f8f8f8f8",
                "f1f1f1f1f1f1f1f1",
                "da7415f7a76e7352",
            ),
            (
                7,
                "S",
                "f8f8f8f8f8f8f8f8",
                "f8f8f8f8f8f8f8f8",
                "d7ef8ad848425e26",
            ),
            (8, "A", "a", "c201010101010101", "16f57ebd5e4167e9"),
            (9, "A", "&^%$@!*(", "4cbc4a4980435451", "186e62062844388f"),
            (
                10,
                "S",
                "01020407080bf1f1",
                "01020407080bf1f1",
                "39f75514175add31",
            ),
            (
                11,
                "N",
                "4040404040404040",
                "8080808080808080",
                "ae68d9fe3af3b99c",
            ),
            (12, "A", "more", "dadfe5cb01010101", "ba140b9c573d71e7"),
            (13, "A", "random", "e5c2dcc8dfda0101", "44fd17de87dfbe93"),
            (14, "A", "keys", "d6cbf2e601010101", "67490ef68304dffd"),
            (15, "A", "password", "e0c2e6e6efdfe5c8", "5f97784aef4b9f66"),
            (
                16,
                "M",
                "password",
                "70617373776f7264",
                "56b8d13e83cd44521638bbc6209c424f",
            ),
            (
                17,
                "M",
                "secret",
                "736563726574",
                "4269657f42c6931cd7674cba1b52da40",
            ),
            (
                31,
                "M",
                "keys!",
                "6b65797321",
                "da5e1dbd76b0e6a8a60d46f9a9dc0d2e",
            ),
        ];
        let mut text = String::from("#\n# sample keys, xntp3 layout: tab separated\n#\n");
        for (id, form, key, _, _) in vectors {
            text.push_str(&format!("{id}\t{form}\t{key}\n"));
        }
        let file = KeysFile::parse("auth.samplekeys", &text).unwrap();
        let packet = authspeed_packet();
        for (id, form, _, standard, mac) in vectors {
            let key = file.get(KeyId(id)).unwrap();
            assert_eq!(key.secret(), unhex(standard), "key {id} ({form})");
            assert_eq!(key.mac(&packet), unhex(mac), "key {id} ({form})");
            assert!(key.verify(&packet, &unhex(mac)));
            assert_eq!(key.kind().mac_len(), unhex(mac).len());
            if form != "M" {
                assert!(des::has_odd_parity(key.secret().try_into().unwrap()));
            }
        }
        // Keys 6 and 7 are spelled alike but differ; 1 and 2 are spelled differently but agree.
        assert_ne!(
            file.get(KeyId(6)).unwrap().secret(),
            file.get(KeyId(7)).unwrap().secret()
        );
        assert_eq!(
            file.get(KeyId(1)).unwrap().secret(),
            file.get(KeyId(2)).unwrap().secret()
        );
    }

    #[test]
    fn layout_variants_parse() {
        let text = "\n   \n\t# indented comment\n  5\tM\tsecret\t# tabbed\n\
                    6 md5 other 192.0.2.1,2001:db8::/32 #acl\n7 SHA1 abc#glued\n\
                    00008 Mumble x\n65535 MD5 last";
        let file = KeysFile::parse("k", text).unwrap();
        let lines = file.lines();
        assert_eq!(lines[0], KeysLine::Blank);
        assert_eq!(lines[1], KeysLine::Blank);
        assert_eq!(lines[2], KeysLine::Comment(" indented comment".into()));
        let five = file.entry(KeyId(5)).unwrap();
        assert_eq!((five.type_name(), five.comment()), ("M", Some(" tabbed")));
        assert_eq!(five.key().secret(), b"secret");
        let six = file.entry(KeyId(6)).unwrap();
        let items: Vec<(IpAddr, Option<u8>)> = six
            .acl()
            .entries()
            .iter()
            .map(|e| (e.addr(), e.prefix()))
            .collect();
        assert_eq!(
            items,
            [
                ("192.0.2.1".parse().unwrap(), None),
                ("2001:db8::".parse().unwrap(), Some(32))
            ]
        );
        assert!(six.acl().permits("2001:db8::7".parse().unwrap()));
        assert!(!six.acl().permits("198.51.100.1".parse().unwrap()));
        // `#` ends the key: the key is `abc`.
        let seven = file.entry(KeyId(7)).unwrap();
        assert_eq!(seven.key().secret(), b"abc");
        assert_eq!(seven.comment(), Some("glued"));
        assert_eq!(file.entry(KeyId(8)).unwrap().kind(), KeyType::Md5);
        assert_eq!(file.get(KeyId(65535)).unwrap().secret(), b"last");
        let again = KeysFile::parse("k", &file.to_text()).unwrap();
        assert_eq!(again, file);
    }

    #[test]
    fn line_endings_and_empty_files() {
        let cases: [(&str, usize); 5] = [
            ("", 0),
            ("\n", 1),
            ("\n\n", 2),
            ("1 M a", 1),
            ("1 M a\n", 1),
        ];
        for (text, lines) in cases {
            let file = KeysFile::parse("k", text).unwrap();
            assert_eq!(file.lines().len(), lines, "{text:?}");
            assert_eq!(KeysFile::parse("k", &file.to_text()).unwrap(), file);
        }
        assert!(KeysFile::parse("k", "").unwrap().is_empty());
    }

    /// Every error kind a file can produce, with the line it is reported on.
    #[test]
    fn errors_name_their_line_and_kind() {
        let id = KeyId(5);
        let long = format!("1 M a # {}", "x".repeat(MAX_LINE_LEN));
        let cases: Vec<(String, usize, KeysErrorKind)> = vec![
            ("# ok\n0 M secret\n".into(), 2, KeysErrorKind::KeyIdZero),
            (
                "65536 M secret".into(),
                1,
                KeysErrorKind::KeyIdReserved { id: 65536 },
            ),
            (
                "99999999999999999999999 M x".into(),
                1,
                KeysErrorKind::KeyIdReserved { id: u64::MAX },
            ),
            (
                "\n\n  5x M secret".into(),
                3,
                KeysErrorKind::BadKeyId { column: 3 },
            ),
            (
                "-5 M secret".into(),
                1,
                KeysErrorKind::BadKeyId { column: 1 },
            ),
            ("5".into(), 1, KeysErrorKind::MissingType { id }),
            ("5 # M secret".into(), 1, KeysErrorKind::MissingType { id }),
            ("5 MD5".into(), 1, KeysErrorKind::MissingKey { id }),
            (
                "5 SHA384 secret".into(),
                1,
                KeysErrorKind::BadType {
                    id,
                    error: KeyTypeError::Unsupported("SHA384".into()),
                },
            ),
            (
                "5 RMD160 secret".into(),
                1,
                KeysErrorKind::BadType {
                    id,
                    error: KeyTypeError::Unsupported("RMD160".into()),
                },
            ),
            (
                "5 DES secret".into(),
                1,
                KeysErrorKind::BadType {
                    id,
                    error: KeyTypeError::Unknown("DES".into()),
                },
            ),
            (
                "5 MD5 correcthorsebatterystaple".into(),
                1,
                KeysErrorKind::BadKey {
                    id,
                    error: KeyTextError::BadHexDigit { position: 2 },
                },
            ),
            (
                format!("5 SHA1 {}", "a".repeat(129)),
                1,
                KeysErrorKind::BadKey {
                    id,
                    error: KeyTextError::TooLong { len: 129, max: 128 },
                },
            ),
            (
                "5 S 0001010101010101".into(),
                1,
                KeysErrorKind::BadKey {
                    id,
                    error: KeyTextError::DesParity { octet: 1 },
                },
            ),
            (
                "5 N 80808080".into(),
                1,
                KeysErrorKind::BadKey {
                    id,
                    error: KeyTextError::DesLength { len: 8 },
                },
            ),
            (
                "5 A toolongkey".into(),
                1,
                KeysErrorKind::BadKey {
                    id,
                    error: KeyTextError::TooLong { len: 10, max: 8 },
                },
            ),
            (
                "5 M secret 192.0.2.1,nothost".into(),
                1,
                KeysErrorKind::BadAcl {
                    id,
                    column: 22,
                    error: KeyAclError::BadAddress,
                },
            ),
            (
                "5 M secret 192.0.2.0/33".into(),
                1,
                KeysErrorKind::BadAcl {
                    id,
                    column: 12,
                    error: KeyAclError::BadPrefix { max: 32 },
                },
            ),
            (
                "5 M secret 192.0.2.1,".into(),
                1,
                KeysErrorKind::BadAcl {
                    id,
                    column: 22,
                    error: KeyAclError::Empty,
                },
            ),
            (
                "5 M my secret key".into(),
                1,
                KeysErrorKind::BadAcl {
                    id,
                    column: 8,
                    error: KeyAclError::BadAddress,
                },
            ),
            (
                "5 M secret 192.0.2.1 extra".into(),
                1,
                KeysErrorKind::TrailingText { id, column: 22 },
            ),
            (
                "5 M one\n6 M two\n5 M three\n".into(),
                3,
                KeysErrorKind::DuplicateKey { id, first_line: 1 },
            ),
            (
                "5 M secret\r\n".into(),
                1,
                KeysErrorKind::ControlChar {
                    column: 11,
                    byte: b'\r',
                },
            ),
            (
                "\r\n".into(),
                1,
                KeysErrorKind::ControlChar {
                    column: 1,
                    byte: b'\r',
                },
            ),
            (
                "5 M se\0cret".into(),
                1,
                KeysErrorKind::ControlChar { column: 7, byte: 0 },
            ),
            (
                "# comment \u{7}bell".into(),
                1,
                KeysErrorKind::ControlChar {
                    column: 11,
                    byte: 7,
                },
            ),
            (
                "5 M s\u{e9}cret".into(),
                1,
                KeysErrorKind::NonAscii { column: 6 },
            ),
            (
                long.clone(),
                1,
                KeysErrorKind::LineTooLong {
                    len: long.len(),
                    max: MAX_LINE_LEN,
                },
            ),
        ];
        for (text, line, kind) in cases {
            let error = parse_err(&text);
            assert_eq!((error.line, &error.kind), (line, &kind), "{text:?}");
            assert_eq!(error.path, Path::new("ntp.keys"));
        }
        let error = KeysFile::parse_bytes("k", b"# fine\n5 M s\xffcret\n").unwrap_err();
        assert_eq!(
            (error.line, error.kind),
            (2, KeysErrorKind::NotUtf8 { column: 6 })
        );
        let big = vec![b'\n'; MAX_KEYS_FILE_LEN + 1];
        let error = KeysFile::parse_bytes("k", &big).unwrap_err();
        assert_eq!(error.line, 0);
        assert!(matches!(error.kind, KeysErrorKind::FileTooLarge { .. }));
    }

    #[test]
    fn errors_display_as_one_line() {
        let cases = [
            ("0 M x", "ntp.keys:1: key 0 is reserved"),
            (
                "70000 M x",
                "ntp.keys:1: key 70000 is reserved for autokey (keys files use 1 to 65535)",
            ),
            (
                "\n5 SHA384 x",
                "ntp.keys:2: key 5: unsupported key type 'SHA384'",
            ),
            ("5 M", "ntp.keys:1: key 5: missing key"),
            (
                "5 M x\n5 M y",
                "ntp.keys:2: key 5 is already defined on line 1",
            ),
            (
                "5 S 0101010101010100",
                "ntp.keys:1: key 5: DES key octet 8 does not have odd parity",
            ),
            (
                "5 M x 10.0.0.1/40",
                "ntp.keys:1: key 5: access list item at column 7: prefix length must be a \
                 number from 0 to 32",
            ),
            (
                "5 M x\r",
                "ntp.keys:1: carriage return (CRLF line ending?) at column 6",
            ),
        ];
        for (text, want) in cases {
            let shown = parse_err(text).to_string();
            assert_eq!(shown, want);
            assert!(!shown.contains('\n'));
        }
        let whole = KeysError {
            path: "/etc/ntp.keys".into(),
            line: 0,
            kind: KeysErrorKind::FileTooLarge { len: 9, max: 8 },
        };
        assert_eq!(
            whole.to_string(),
            "/etc/ntp.keys: file is 9 octets long (limit 8)"
        );
    }

    /// The name of a variant; exhaustive so a new variant must be added to the secrets test.
    fn variant(kind: &KeysErrorKind) -> &'static str {
        match kind {
            KeysErrorKind::Io { .. } => "Io",
            KeysErrorKind::FileTooLarge { .. } => "FileTooLarge",
            KeysErrorKind::LineTooLong { .. } => "LineTooLong",
            KeysErrorKind::NotUtf8 { .. } => "NotUtf8",
            KeysErrorKind::ControlChar { .. } => "ControlChar",
            KeysErrorKind::NonAscii { .. } => "NonAscii",
            KeysErrorKind::BadKeyId { .. } => "BadKeyId",
            KeysErrorKind::KeyIdZero => "KeyIdZero",
            KeysErrorKind::KeyIdReserved { .. } => "KeyIdReserved",
            KeysErrorKind::MissingType { .. } => "MissingType",
            KeysErrorKind::MissingKey { .. } => "MissingKey",
            KeysErrorKind::BadType { .. } => "BadType",
            KeysErrorKind::BadKey { .. } => "BadKey",
            KeysErrorKind::BadAcl { .. } => "BadAcl",
            KeysErrorKind::TrailingText { .. } => "TrailingText",
            KeysErrorKind::DuplicateKey { .. } => "DuplicateKey",
            KeysErrorKind::BadComment { .. } => "BadComment",
        }
    }

    /// Files containing the secret `S3cr3tKey` (or its halves) in the key position, one per
    /// error variant; neither `Display` nor `Debug` of the error, nor any lint message, may
    /// show it.
    #[test]
    fn errors_and_findings_never_contain_secrets() {
        const SECRET: &str = "S3cr3tKey";
        const HEX_SECRET: &str = "53336372337400000000abcdef0123456789zz";
        let long = format!("1 M {SECRET} # {}", "x".repeat(MAX_LINE_LEN));
        let files: Vec<Vec<u8>> = vec![
            long.into_bytes(),
            [format!("1 M {SECRET}").as_bytes(), b"\xff"].concat(),
            format!("1 M {SECRET}\r\n").into_bytes(),
            format!("1 M {SECRET}\u{e9}").into_bytes(),
            format!("1x M {SECRET}").into_bytes(),
            format!("0 M {SECRET}").into_bytes(),
            format!("65536 M {SECRET}").into_bytes(),
            b"1".to_vec(),
            // A line that lost its type: the secret stands where the type should be.
            format!("1 {SECRET}").into_bytes(),
            format!("1 SHA384 {SECRET}").into_bytes(),
            format!("1 SHA1 {HEX_SECRET}").into_bytes(),
            format!("1 S {SECRET}{SECRET}").into_bytes(),
            format!("1 A {SECRET}").into_bytes(),
            // A key with spaces: the halves land in the access list and after it.
            "1 M S3cr 3tKey".to_owned().into_bytes(),
            "1 M S3cr 192.0.2.1 3tKey".to_owned().into_bytes(),
            format!("1 M {SECRET}\n1 M {SECRET}").into_bytes(),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for bytes in &files {
            let error = KeysFile::parse_bytes("ntp.keys", bytes).unwrap_err();
            seen.insert(variant(&error.kind));
            for shown in [error.to_string(), format!("{error:?}")] {
                for secret in [SECRET, HEX_SECRET, "S3cr", "3tKey"] {
                    assert!(!shown.contains(secret), "{shown}");
                }
            }
            for finding in KeysFile::lint_bytes(bytes) {
                let shown = format!("{finding} {finding:?}");
                for secret in [SECRET, HEX_SECRET, "S3cr", "3tKey"] {
                    assert!(!shown.contains(secret), "{shown}");
                }
            }
        }
        let file_variants: Vec<&str> = [
            "LineTooLong",
            "NotUtf8",
            "ControlChar",
            "NonAscii",
            "BadKeyId",
            "KeyIdZero",
            "KeyIdReserved",
            "MissingType",
            "MissingKey",
            "BadType",
            "BadKey",
            "BadAcl",
            "TrailingText",
            "DuplicateKey",
        ]
        .to_vec();
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>().len(),
            file_variants.len()
        );
        // The remaining variants carry no text from the file at all.
        for kind in [
            KeysErrorKind::Io {
                kind: io::ErrorKind::NotFound,
                message: "No such file or directory (os error 2)".into(),
            },
            KeysErrorKind::FileTooLarge { len: 1, max: 0 },
            KeysErrorKind::BadComment { position: 1 },
        ] {
            assert!(!file_variants.contains(&variant(&kind)));
        }
        // The good entries' Debug output hides the key as well.
        let file = KeysFile::parse("k", &format!("1 M {SECRET}  # note")).unwrap();
        let shown = format!("{file:?}");
        assert!(!shown.contains(SECRET) && shown.contains("note"), "{shown}");
    }

    #[test]
    fn builders_keep_files_readable() {
        let mut file = KeysFile::new();
        file.push_comment(" made by hand").unwrap();
        file.push_blank();
        let entry = KeyEntry::new(KeyId(1), KeyType::Md5, "abc").unwrap();
        file.push_entry(entry.clone()).unwrap();
        assert_eq!(
            file.push_entry(entry),
            Err(KeysErrorKind::DuplicateKey {
                id: KeyId(1),
                first_line: 3
            })
        );
        assert_eq!(
            file.push_comment("two\nlines"),
            Err(KeysErrorKind::BadComment { position: 4 })
        );
        let sha = KeyEntry::from_secret(KeyId(2), KeyType::Sha1, &[0xa5; 20]).unwrap();
        assert_eq!(file.replace_entry(sha).unwrap(), None);
        let fixed = KeyEntry::new(KeyId(1), KeyType::DesStandard, "0101010101010101").unwrap();
        let old = file.replace_entry(fixed).unwrap().unwrap();
        assert_eq!(old.key_text(), "abc");
        assert_eq!(
            *file.to_text(),
            "# made by hand\n\n 1 S 0101010101010101\n 2 SHA1 a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5\n"
        );
        assert_eq!(KeysFile::parse("k", &file.to_text()).unwrap(), file);
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let wide: KeyAcl = std::iter::repeat_n(KeyAclEntry::new(v4, None).unwrap(), 500).collect();
        let too_long = KeyEntry::new(KeyId(3), KeyType::Md5, "abc")
            .unwrap()
            .with_acl(wide);
        assert!(matches!(
            file.push_entry(too_long),
            Err(KeysErrorKind::LineTooLong { .. })
        ));
    }

    #[test]
    fn load_reads_files_and_reports_io_errors() {
        let dir = std::env::temp_dir().join(format!("ntpkit-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ntp.keys");
        std::fs::write(&path, KEYGEN_FILE).unwrap();
        let file = KeysFile::load(&path).unwrap();
        assert_eq!(file.len(), 20);
        std::fs::write(&path, "1 M a\n2 M\n").unwrap();
        let error = KeysFile::load(&path).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("{}:2: key 2: missing key", path.display())
        );
        let missing = dir.join("absent.keys");
        let error = KeysFile::load(&missing).unwrap_err();
        assert_eq!(error.line, 0);
        assert!(matches!(
            error.kind,
            KeysErrorKind::Io {
                kind: io::ErrorKind::NotFound,
                ..
            }
        ));
        assert!(
            error
                .to_string()
                .starts_with(&format!("{}: cannot read: ", missing.display()))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Independent reference for the property below: the raw secret a text stands for.
    fn raw_secret(kind: KeyType, text: &str) -> Vec<u8> {
        match kind {
            KeyType::DesAscii => {
                let mut key = [0_u8; 8];
                for (slot, c) in key.iter_mut().zip(text.bytes()) {
                    *slot = c << 1;
                }
                key.map(|b| if b.count_ones() % 2 == 0 { b | 1 } else { b })
                    .to_vec()
            }
            KeyType::DesStandard => unhex(&text.to_ascii_lowercase()),
            KeyType::DesNtp => unhex(&text.to_ascii_lowercase())
                .into_iter()
                .map(|b| b.rotate_left(1))
                .collect(),
            _ if text.len() <= 20 => text.as_bytes().to_vec(),
            _ => {
                let mut digits = text.to_ascii_lowercase();
                if digits.len() % 2 == 1 {
                    digits.push('0');
                }
                unhex(&digits)
            }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = KeysFile::parse_bytes("k", &bytes);
            let _ = KeysFile::lint_bytes(&bytes);
        }

        #[test]
        fn keys_like_noise_never_panics_and_reparses(text in keys_noise_any()) {
            let findings = KeysFile::lint(&text);
            match KeysFile::parse("k", &text) {
                Ok(file) => {
                    prop_assert_eq!(KeysFile::parse("k", &file.to_text()).unwrap(), file);
                    prop_assert!(findings.iter().all(|f| f.severity == crate::auth::FindingSeverity::Warning));
                }
                Err(error) => {
                    prop_assert!(findings.iter().any(|f| f.line == error.line
                        && f.severity == crate::auth::FindingSeverity::Error));
                }
            }
        }

        #[test]
        fn parse_of_write_is_identity(file in keys_file_any()) {
            let text = file.to_text();
            let again = KeysFile::parse("k", &text);
            prop_assert_eq!(again.as_ref(), Ok(&file));
            prop_assert_eq!(&*again.unwrap().to_text(), &*text);
        }

        #[test]
        fn parsed_keys_mac_like_their_raw_secret(
            entry in crate::auth::test_gens::entry_any(),
            message in proptest::collection::vec(any::<u8>(), 0..100),
        ) {
            let line = format!("{} {} {}\n", entry.id(), entry.type_name(), entry.key_text());
            let file = KeysFile::parse("k", &line).unwrap();
            let key = file.get(entry.id()).unwrap();
            let raw = Key::new(entry.id(), entry.kind(), raw_secret(entry.kind(), entry.key_text()));
            prop_assert_eq!(key.mac(&message), raw.mac(&message));
            prop_assert_eq!(key.trailer(&message), raw.trailer(&message));
            prop_assert_eq!(key, &raw);
        }
    }
}
