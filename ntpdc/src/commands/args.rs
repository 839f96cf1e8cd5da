//! A command's words as the shell hands them over: `-4`/`-6` and addresses, numbers.

use std::net::IpAddr;

use ntpkit::transport::{Family, resolve};

use crate::error::{CmdError, usage};

/// Splits `-4`/`-6` off the words: the family asked for (the last one wins) and the rest.
#[must_use]
pub fn family_and_rest(args: &[String]) -> (Option<Family>, Vec<&str>) {
    let mut family = None;
    let mut rest = Vec::new();
    for a in args {
        match a.as_str() {
            "-4" => family = Some(Family::V4),
            "-6" => family = Some(Family::V6),
            other => rest.push(other),
        }
    }
    (family, rest)
}

/// An optional `-4`/`-6` filter and nothing else.
///
/// # Errors
/// Any other argument.
pub fn family_filter(args: &[String]) -> Result<Option<Family>, CmdError> {
    let (family, rest) = family_and_rest(args);
    match rest.as_slice() {
        [] => Ok(family),
        [other, ..] => Err(usage(format!(
            "unexpected '{other}': the IP version must be either -4 or -6"
        ))),
    }
}

/// Whether `addr` passes a `-4`/`-6` filter.
#[must_use]
pub fn in_family(addr: IpAddr, family: Option<Family>) -> bool {
    match family {
        None | Some(Family::Any) => true,
        Some(Family::V4) => addr.is_ipv4(),
        Some(Family::V6) => addr.is_ipv6(),
    }
}

/// An address or host name, resolved in `family`.
///
/// # Errors
/// The name does not resolve.
pub fn address(word: &str, family: Option<Family>) -> Result<IpAddr, CmdError> {
    let family = family.unwrap_or_default();
    // `[fd77::1]` is accepted as well as `fd77::1`.
    let bare = word
        .strip_prefix('[')
        .and_then(|w| w.strip_suffix(']'))
        .unwrap_or(word);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(ip);
    }
    resolve(bare, 123, family)
        .map(|sa| sa.ip())
        .map_err(|_| CmdError::Failed(format!("can't find host {word}")))
}

/// One to `max` addresses (after an optional `-4`/`-6`).
///
/// # Errors
/// None or too many given, or a name does not resolve.
pub fn addresses(args: &[String], max: usize) -> Result<Vec<IpAddr>, CmdError> {
    let (family, rest) = family_and_rest(args);
    if rest.is_empty() {
        return Err(usage("an address is required"));
    }
    if rest.len() > max {
        return Err(usage(format!("at most {max} addresses per request")));
    }
    rest.iter().map(|w| address(w, family)).collect()
}

/// A decimal number (optionally negative) of type `T`.
///
/// # Errors
/// Not a number, or out of range.
pub fn number<T: std::str::FromStr>(word: &str, what: &str) -> Result<T, CmdError> {
    word.parse()
        .map_err(|_| usage(format!("illegal {what} '{word}'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn families_addresses_and_numbers() {
        assert_eq!(family_filter(&words("-6")).unwrap(), Some(Family::V6));
        assert_eq!(family_filter(&[]).unwrap(), None);
        assert!(family_filter(&words("5")).is_err());
        let addrs = addresses(&words("-6 fd77::1 [fd77::2]"), 4).unwrap();
        assert_eq!(addrs.len(), 2);
        assert!(addresses(&words("1.1.1.1 2.2.2.2 3.3.3.3"), 2).is_err());
        assert!(addresses(&[], 2).is_err());
        assert!(in_family("10.0.0.1".parse().unwrap(), Some(Family::V4)));
        assert!(!in_family("10.0.0.1".parse().unwrap(), Some(Family::V6)));
        assert_eq!(number::<u32>("42", "key").unwrap(), 42);
        assert!(number::<u32>("-1", "key").is_err());
    }
}
