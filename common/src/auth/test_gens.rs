//! proptest strategies for key types, key texts, access lists, entries and keys files.
//!
//! `*_any()` strategies produce arbitrary valid values; `*_for(..)` ones valid values of a
//! given kind; `keys_noise_any()` produces text that looks like a keys file but is mostly
//! broken, for the "never panics" properties.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::{
    KeyAcl, KeyAclEntry, KeyEntry, KeyId, KeyType, KeysFile, KeysLine, MAX_FILE_KEY_ID, des,
};

/// A key number a keys file may hold.
pub(crate) fn key_id_any() -> impl Strategy<Value = KeyId> {
    (1..=MAX_FILE_KEY_ID).prop_map(KeyId)
}

/// Any key type.
pub(crate) fn key_type_any() -> impl Strategy<Value = KeyType> {
    prop::sample::select(KeyType::ALL.to_vec())
}

/// A spelling of `kind` that ntpd or NTPsec accept, in random letter case.
pub(crate) fn type_name_for(kind: KeyType) -> BoxedStrategy<String> {
    let names: &[&str] = match kind {
        KeyType::Md5 => &["MD5", "M", "Mine"],
        KeyType::Sha1 => &["SHA1", "SHA"],
        KeyType::Sha256 => &["SHA256"],
        KeyType::Aes128Cmac => &["AES128CMAC", "AES", "AES-128"],
        KeyType::DesAscii => &["A"],
        KeyType::DesStandard => &["S"],
        KeyType::DesNtp => &["N"],
    };
    (prop::sample::select(names), any::<u16>())
        .prop_map(|(name, cases)| random_case(name, cases))
        .boxed()
}

fn random_case(text: &str, cases: u16) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if cases >> (i % 16) & 1 == 1 {
                c.to_ascii_lowercase()
            } else {
                c
            }
        })
        .collect()
}

/// 1 to 20 characters a keys-file key token can carry: printable ASCII but `#`.
const CARRYABLE_1_20: &str = "[!\"$-~]{1,20}";

/// 1 to 8 such characters, an `A` key.
const CARRYABLE_1_8: &str = "[!\"$-~]{1,8}";

/// A valid key text for `kind`, in any of its forms.
pub(crate) fn key_text_for(kind: KeyType) -> BoxedStrategy<String> {
    match kind {
        KeyType::Md5 | KeyType::Sha1 | KeyType::Sha256 | KeyType::Aes128Cmac => {
            prop_oneof![CARRYABLE_1_20, "[0-9a-fA-F]{21,128}"].boxed()
        }
        KeyType::DesAscii => CARRYABLE_1_8.boxed(),
        KeyType::DesStandard | KeyType::DesNtp => (des_key_any(), any::<bool>())
            .prop_map(move |(mut key, upper)| {
                if kind == KeyType::DesNtp {
                    des::standard_to_ntp(&mut key);
                }
                let text = des::to_hex(&key).as_str().to_owned();
                if upper {
                    text.to_ascii_uppercase()
                } else {
                    text
                }
            })
            .boxed(),
    }
}

/// A standard-form DES key with odd parity.
pub(crate) fn des_key_any() -> impl Strategy<Value = [u8; 8]> {
    any::<[u8; 8]>().prop_map(|mut key| {
        des::set_odd_parity(&mut key);
        key
    })
}

/// One access-list item, IPv4 or IPv6, with or without a prefix.
pub(crate) fn acl_entry_any() -> impl Strategy<Value = KeyAclEntry> {
    let v4 = (any::<u32>(), prop::option::of(0_u8..=32))
        .prop_map(|(a, p)| (IpAddr::V4(Ipv4Addr::from(a)), p));
    let v6 = (any::<u128>(), prop::option::of(0_u8..=128))
        .prop_map(|(a, p)| (IpAddr::V6(Ipv6Addr::from(a)), p));
    prop_oneof![v4, v6].prop_map(|(addr, prefix)| {
        KeyAclEntry::new(addr, prefix).expect("prefix within the address width")
    })
}

/// An access list of up to four items.
pub(crate) fn acl_any() -> impl Strategy<Value = KeyAcl> {
    prop::collection::vec(acl_entry_any(), 0..4).prop_map(KeyAcl::new)
}

/// Comment text: printable ASCII (including `#`), tabs and a non-ASCII letter.
pub(crate) fn comment_any() -> impl Strategy<Value = String> {
    "[ -~\t\u{e9}]{0,40}"
}

/// A valid entry with `id`.
pub(crate) fn entry_with(id: KeyId) -> impl Strategy<Value = KeyEntry> {
    key_type_any()
        .prop_flat_map(|kind| (type_name_for(kind), key_text_for(kind)))
        .prop_flat_map(move |(type_name, text)| {
            (
                Just((type_name, text)),
                acl_any(),
                prop::option::of(comment_any()),
            )
        })
        .prop_map(move |((type_name, text), acl, comment)| {
            KeyEntry::with_type_name(id, &type_name, &text)
                .expect("generated entries are valid")
                .with_acl(acl)
                .with_comment(comment.as_deref())
                .expect("generated comments are valid")
        })
}

/// A valid entry with any number.
pub(crate) fn entry_any() -> impl Strategy<Value = KeyEntry> {
    key_id_any().prop_flat_map(entry_with)
}

/// A valid keys file of up to 24 lines; duplicate numbers are dropped.
pub(crate) fn keys_file_any() -> impl Strategy<Value = KeysFile> {
    let line = prop_oneof![
        1 => Just(KeysLine::Blank),
        1 => comment_any().prop_map(KeysLine::Comment),
        4 => (1_u32..=40).prop_flat_map(|id| entry_with(KeyId(id))).prop_map(KeysLine::Entry),
        1 => entry_any().prop_map(KeysLine::Entry),
    ];
    prop::collection::vec(line, 0..24).prop_map(|lines| {
        let mut file = KeysFile::new();
        for line in lines {
            match line {
                KeysLine::Blank => file.push_blank(),
                KeysLine::Comment(text) => file.push_comment(&text).expect("valid comment"),
                // A duplicate number is refused; the generator simply skips it.
                KeysLine::Entry(entry) => file.push_entry(entry).unwrap_or(()),
            }
        }
        file
    })
}

/// Text that resembles a keys file: fields, separators and junk mixed at random.
pub(crate) fn keys_noise_any() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just("\n".to_owned()),
        Just("#".to_owned()),
        Just(",".to_owned()),
        Just("/".to_owned()),
        Just("\r".to_owned()),
        Just("\0".to_owned()),
        "[0-9]{1,7}",
        "(M|MD5|SHA1|SHA|SHA256|AES|AES128CMAC|A|S|N|SHA384|x)",
        "[0-9a-fA-F]{1,140}",
        "[!-~]{1,30}",
        "(192\\.0\\.2\\.[0-9]{1,3}|2001:db8::[0-9a-f]{0,4}|::1)(/[0-9]{1,3})?",
        "\\PC{1,4}",
    ];
    prop::collection::vec(fragment, 0..60).prop_map(|parts| parts.concat())
}
