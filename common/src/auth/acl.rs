//! The optional fourth field of a keys-file line: the addresses a key is trusted from
//! (protocol notes §8.1; ntpd 4.2.8p6+ `authistrustedip`, prefixes from 4.2.8p11).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use thiserror::Error;

/// Why one item of an access list is not an address with an optional `/prefix`.
///
/// No variant echoes the item: a key containing a space would put part of the secret here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum KeyAclError {
    /// An empty item, as in `192.0.2.1,,192.0.2.2` or a trailing comma.
    #[error("empty address")]
    Empty,
    /// Not an IPv4 or IPv6 address in numeric form.
    #[error("not an IP address")]
    BadAddress,
    /// A prefix length that is not a number no larger than the address width.
    #[error("prefix length must be a number from 0 to {max}")]
    BadPrefix {
        /// 32 for IPv4, 128 for IPv6.
        max: u8,
    },
}

/// One access-list item: an address and, if written, a prefix length (`/bits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyAclEntry {
    addr: IpAddr,
    prefix: Option<u8>,
}

impl KeyAclEntry {
    /// An item matching `addr`, or its network when `prefix` is given.
    ///
    /// # Errors
    ///
    /// [`KeyAclError::BadPrefix`] when `prefix` exceeds the address width.
    pub fn new(addr: IpAddr, prefix: Option<u8>) -> Result<Self, KeyAclError> {
        let max = width(addr);
        match prefix {
            Some(bits) if bits > max => Err(KeyAclError::BadPrefix { max }),
            _ => Ok(Self { addr, prefix }),
        }
    }

    /// The address as written.
    #[must_use]
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length as written, if any.
    #[must_use]
    pub fn prefix(&self) -> Option<u8> {
        self.prefix
    }

    /// The prefix length in effect: the written one, else the full address width.
    #[must_use]
    pub fn prefix_len(&self) -> u8 {
        self.prefix.unwrap_or_else(|| width(self.addr))
    }

    /// Whether `peer` falls inside this item. Families must match, as in ntpd.
    #[must_use]
    pub fn contains(&self, peer: IpAddr) -> bool {
        let bits = u32::from(self.prefix_len());
        match (self.addr, peer) {
            (IpAddr::V4(net), IpAddr::V4(peer)) => {
                let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                u32::from(net) & mask == u32::from(peer) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(peer)) => {
                let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                u128::from(net) & mask == u128::from(peer) & mask
            }
            _ => false,
        }
    }
}

fn width(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

impl fmt::Display for KeyAclEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix {
            Some(bits) => write!(f, "{}/{bits}", self.addr),
            None => write!(f, "{}", self.addr),
        }
    }
}

impl FromStr for KeyAclEntry {
    type Err = KeyAclError;

    fn from_str(item: &str) -> Result<Self, Self::Err> {
        if item.is_empty() {
            return Err(KeyAclError::Empty);
        }
        let (addr, prefix) = match item.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (item, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| KeyAclError::BadAddress)?;
        let prefix = match prefix {
            None => None,
            Some(digits) => {
                let bad = KeyAclError::BadPrefix { max: width(addr) };
                if digits.is_empty()
                    || digits.len() > 3
                    || !digits.bytes().all(|c| c.is_ascii_digit())
                {
                    return Err(bad);
                }
                Some(digits.parse::<u8>().map_err(|_| bad)?)
            }
        };
        Self::new(addr, prefix)
    }
}

/// The addresses a key is trusted from; empty means "from anywhere".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct KeyAcl(Vec<KeyAclEntry>);

impl KeyAcl {
    /// An access list of `entries`, in order.
    #[must_use]
    pub fn new(entries: Vec<KeyAclEntry>) -> Self {
        Self(entries)
    }

    /// The items, in file order.
    #[must_use]
    pub fn entries(&self) -> &[KeyAclEntry] {
        &self.0
    }

    /// Whether there is no restriction.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the key may be used with `peer`: true for an empty list, else when an item
    /// contains it.
    #[must_use]
    pub fn permits(&self, peer: IpAddr) -> bool {
        self.0.is_empty() || self.0.iter().any(|entry| entry.contains(peer))
    }

    /// Parses a comma-separated list; on failure returns the octet offset of the bad item
    /// within `field` together with the reason.
    pub(super) fn parse_field(field: &str) -> Result<Self, (usize, KeyAclError)> {
        let mut entries = Vec::new();
        let mut offset = 0;
        for item in field.split(',') {
            entries.push(item.parse().map_err(|e| (offset, e))?);
            offset += item.len() + 1;
        }
        Ok(Self(entries))
    }
}

impl FromIterator<KeyAclEntry> for KeyAcl {
    fn from_iter<I: IntoIterator<Item = KeyAclEntry>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Comma-separated items, the keys-file spelling; empty for an empty list.
impl fmt::Display for KeyAcl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, entry) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            entry.fmt(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    type Items = &'static [(&'static str, Option<u8>)];

    #[test]
    fn fields_parse_and_print_back() {
        let cases: [(&str, Items); 5] = [
            ("192.0.2.1", &[("192.0.2.1", None)]),
            ("192.0.2.0/24", &[("192.0.2.0", Some(24))]),
            (
                "192.0.2.1,2001:db8::/32,::1",
                &[("192.0.2.1", None), ("2001:db8::", Some(32)), ("::1", None)],
            ),
            ("0.0.0.0/0", &[("0.0.0.0", Some(0))]),
            ("2001:db8::1/128", &[("2001:db8::1", Some(128))]),
        ];
        for (field, want) in cases {
            let acl = KeyAcl::parse_field(field).unwrap();
            let got: Vec<_> = acl
                .entries()
                .iter()
                .map(|e| (e.addr(), e.prefix()))
                .collect();
            let want: Vec<_> = want.iter().map(|&(a, p)| (ip(a), p)).collect();
            assert_eq!(got, want, "{field}");
            assert_eq!(acl.to_string(), field);
        }
    }

    #[test]
    fn bad_fields_report_offset_and_reason() {
        let cases = [
            ("", (0, KeyAclError::Empty)),
            ("192.0.2.1,", (10, KeyAclError::Empty)),
            ("192.0.2.1,,::1", (10, KeyAclError::Empty)),
            ("host.example", (0, KeyAclError::BadAddress)),
            ("192.0.2.1,192.0.2", (10, KeyAclError::BadAddress)),
            ("192.0.2.1/33", (0, KeyAclError::BadPrefix { max: 32 })),
            ("::1/129", (0, KeyAclError::BadPrefix { max: 128 })),
            ("::1/", (0, KeyAclError::BadPrefix { max: 128 })),
            ("::1/+8", (0, KeyAclError::BadPrefix { max: 128 })),
            ("::1/0008", (0, KeyAclError::BadPrefix { max: 128 })),
            ("192.0.2.1/2/3", (0, KeyAclError::BadPrefix { max: 32 })),
            ("[::1]", (0, KeyAclError::BadAddress)),
        ];
        for (field, want) in cases {
            assert_eq!(KeyAcl::parse_field(field), Err(want), "{field}");
        }
    }

    #[test]
    fn membership_follows_prefixes_and_families() {
        let acl = KeyAcl::parse_field("192.0.2.0/24,2001:db8::/32,198.51.100.7").unwrap();
        let cases = [
            ("192.0.2.200", true),
            ("192.0.3.1", false),
            ("198.51.100.7", true),
            ("198.51.100.8", false),
            ("2001:db8:1::9", true),
            ("2001:db9::", false),
            ("::ffff:192.0.2.1", false),
        ];
        for (peer, want) in cases {
            assert_eq!(acl.permits(ip(peer)), want, "{peer}");
        }
        assert!(KeyAcl::default().permits(ip("203.0.113.1")));
        let everything = KeyAcl::parse_field("0.0.0.0/0").unwrap();
        assert!(everything.permits(ip("203.0.113.1")));
        assert!(!everything.permits(ip("::1")));
    }

    #[test]
    fn constructor_checks_prefix_width() {
        assert_eq!(
            KeyAclEntry::new(ip("10.0.0.0"), Some(33)),
            Err(KeyAclError::BadPrefix { max: 32 })
        );
        let entry = KeyAclEntry::new(ip("10.0.0.0"), None).unwrap();
        assert_eq!(entry.prefix_len(), 32);
    }
}
