//! The configuration commands: requests signed with the server's `requestkey`, answered with
//! a bare acknowledgement.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ntpkit::auth::KeyId;
use ntpkit::private::{
    ConfFudgeItem, ConfPeerFlags, ConfPeerItem, ConfRestrictItem, ConfRestrictP18Item,
    ConfSysFlagsItem, ConfTrapItem, ConfUnpeerItem, FudgeWhich, KeyIdItem, PrivateItem,
    RequestCode, ResetFlags, ResetFlagsItem, RestrictFlags, RestrictFlagsP15, RestrictMatchFlags,
    SysFlags,
};
use ntpkit::time::NtpTimestamp;
use serde_json::{Map, Value, json};

use super::args::{address, addresses, family_and_rest, number};
use super::{Ctx, Output};
use crate::error::{CmdError, usage};
use crate::session::{Items, Request, RestrictLayout};

/// Association modes `REQ_CONFIG` creates.
const MODE_ACTIVE: u8 = 1;
const MODE_CLIENT: u8 = 3;
const MODE_BROADCAST: u8 = 5;

fn details(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Sends one signed request and reports `done!`.
fn signed(
    ctx: &mut Ctx<'_, '_>,
    code: RequestCode,
    items: &dyn Fn(crate::session::Layout) -> Result<Items, ntpkit::private::PrivateError>,
    info: &[(&str, Value)],
) -> Result<Output, CmdError> {
    ctx.session.query(&Request {
        code,
        auth: true,
        items,
    })?;
    Ok(Output::done(details(info)))
}

/// What `addpeer`, `addserver`, `addrefclock` and `broadcast` parse, as ntpdc does: bare
/// numbers are the key ID then the version (or the mode for a reference clock); keywords
/// `prefer`, `burst`, `iburst`, and `keyid`/`version`/`minpoll`/`maxpoll` followed by a
/// number.
fn parse_peer(args: &[String], hmode: u8, refclock: bool) -> Result<ConfPeerItem, CmdError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Next {
        KeyId,
        Version,
        MinPoll,
        MaxPoll,
        Mode,
        Nothing,
    }
    let (family, rest) = family_and_rest(args);
    let Some((addr, options)) = rest.split_first() else {
        return Err(usage("an address is required"));
    };
    let peeraddr = address(addr, family)?;
    if refclock && !matches!(peeraddr, IpAddr::V4(v4) if v4.octets()[..2] == [127, 127]) {
        return Err(usage(format!(
            "'{peeraddr}' is not a reference clock address (127.127.t.u)"
        )));
    }
    let mut item = ConfPeerItem {
        peeraddr,
        hmode,
        version: 3,
        minpoll: 6,
        maxpoll: 10,
        flags: ConfPeerFlags::NONE,
        ttl: 0,
        keyid: KeyId(0),
    };
    let mut next = if refclock { Next::Mode } else { Next::KeyId };
    for word in options {
        match *word {
            "prefer" => item.flags |= ConfPeerFlags::PREFER,
            "burst" => item.flags |= ConfPeerFlags::BURST,
            "iburst" => item.flags |= ConfPeerFlags::IBURST,
            "keyid" if !refclock => next = Next::KeyId,
            "version" if !refclock => next = Next::Version,
            "minpoll" => next = Next::MinPoll,
            "maxpoll" => next = Next::MaxPoll,
            number_word => {
                let value: u32 = number_word.parse().map_err(|_| {
                    if number_word.starts_with('-') && number_word[1..].parse::<u32>().is_ok() {
                        usage(format!("value '{number_word}' should be unsigned"))
                    } else {
                        usage(format!("'{number_word}' not understood"))
                    }
                })?;
                let small = || {
                    u8::try_from(value)
                        .map_err(|_| usage(format!("'{number_word}' is out of range")))
                };
                match next {
                    Next::KeyId => {
                        item.keyid = KeyId(value);
                        next = Next::Version;
                    }
                    Next::Version => {
                        item.version = small()?;
                        next = Next::Nothing;
                    }
                    Next::MinPoll => {
                        item.minpoll = small()?;
                        next = Next::Nothing;
                    }
                    Next::MaxPoll => {
                        item.maxpoll = small()?;
                        next = Next::Nothing;
                    }
                    Next::Mode => {
                        item.ttl = small()?;
                        next = Next::Nothing;
                    }
                    Next::Nothing => return Err(usage(format!("'{number_word}' not understood"))),
                }
            }
        }
    }
    if item.keyid.0 > 0 {
        item.flags |= ConfPeerFlags::AUTHENABLE;
    }
    if !(1..=4).contains(&item.version) {
        return Err(usage(format!("invalid version number: {}", item.version)));
    }
    let poll = 3..=17;
    if !poll.contains(&item.minpoll) || !poll.contains(&item.maxpoll) || item.minpoll > item.maxpoll
    {
        return Err(usage("min/max-poll must be within 3..17"));
    }
    Ok(item)
}

fn doconfig(
    ctx: &mut Ctx<'_, '_>,
    args: &[String],
    hmode: u8,
    refclock: bool,
) -> Result<Output, CmdError> {
    let item = parse_peer(args, hmode, refclock)?;
    let info = [
        ("address", json!(item.peeraddr)),
        ("hmode", json!(ntpkit::format::classic::mode_name(hmode))),
        ("version", json!(item.version)),
        ("minpoll", json!(item.minpoll)),
        ("maxpoll", json!(item.maxpoll)),
        ("keyid", json!(item.keyid.0)),
        ("flags", json!(item.flags.names())),
    ];
    signed(
        ctx,
        RequestCode::Config,
        &|layout| {
            let size = if layout.old_conf_peer {
                ConfPeerItem::OLD_SIZE
            } else {
                layout.size::<ConfPeerItem>()
            };
            Items::of(&[item], size)
        },
        &info,
    )
}

pub fn addpeer(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    doconfig(ctx, args, MODE_ACTIVE, false)
}

pub fn addserver(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    doconfig(ctx, args, MODE_CLIENT, false)
}

pub fn addrefclock(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    doconfig(ctx, args, MODE_CLIENT, true)
}

pub fn broadcast(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    doconfig(ctx, args, MODE_BROADCAST, false)
}

fn unpeer(ctx: &mut Ctx<'_, '_>, args: &[String], code: RequestCode) -> Result<Output, CmdError> {
    let items: Vec<ConfUnpeerItem> = addresses(args, 8)?
        .into_iter()
        .map(|peeraddr| ConfUnpeerItem { peeraddr })
        .collect();
    let list: Vec<IpAddr> = items.iter().map(|i| i.peeraddr).collect();
    signed(
        ctx,
        code,
        &|layout| Items::of(&items, layout.size::<ConfUnpeerItem>()),
        &[("addresses", json!(list))],
    )
}

pub fn unconfig(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    unpeer(ctx, args, RequestCode::Unconfig)
}

pub fn preset(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    unpeer(ctx, args, RequestCode::ResetPeer)
}

fn sys_flags(
    ctx: &mut Ctx<'_, '_>,
    args: &[String],
    code: RequestCode,
) -> Result<Output, CmdError> {
    if args.is_empty() {
        return Err(usage("name at least one flag"));
    }
    let mut flags = SysFlags::NONE;
    for word in args {
        flags |= SysFlags::from_name(word).ok_or_else(|| usage(format!("unknown flag {word}")))?;
    }
    let item = ConfSysFlagsItem { flags };
    signed(
        ctx,
        code,
        &|_| Items::of(&[item], ConfSysFlagsItem::SIZE),
        &[("flags", json!(flags.names()))],
    )
}

pub fn enable(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    sys_flags(ctx, args, RequestCode::SetSysFlag)
}

pub fn disable(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    sys_flags(ctx, args, RequestCode::ClrSysFlag)
}

/// Whether the set bits of an IPv4 mask are contiguous from the top.
fn contiguous(mask: Ipv4Addr) -> bool {
    let bits = u32::from(mask);
    bits.leading_ones() + bits.trailing_zeros() == 32 || bits == 0
}

fn do_restrict(
    ctx: &mut Ctx<'_, '_>,
    args: &[String],
    code: RequestCode,
) -> Result<Output, CmdError> {
    let (family, rest) = family_and_rest(args);
    let [addr, mask, flag_words @ ..] = rest.as_slice() else {
        return Err(usage("an address and a mask are required"));
    };
    let addr = address(addr, family)?;
    let mut mask = address(mask, family)?;
    let mut flags = RestrictFlagsP15::NONE;
    let mut mflags = RestrictMatchFlags::NONE;
    for word in flag_words {
        if *word == "ntpport" {
            mflags |= RestrictMatchFlags::NTPPORT;
            continue;
        }
        // The words ntpdc accepts, numbered as later 4.2.8 releases do.
        let flag = RestrictFlagsP15::from_name(word)
            .filter(|f| !f.ntpdc_names().is_empty())
            .ok_or_else(|| usage(format!("unknown flag {word}")))?;
        if code == RequestCode::Unrestrict {
            return Err(usage(format!("flag {word} inappropriate")));
        }
        flags |= flag;
    }
    match (addr, mask) {
        (IpAddr::V4(a), IpAddr::V4(m)) => {
            if a.is_unspecified() {
                mask = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
            } else if !contiguous(m) {
                return Err(usage(format!("invalid mask {m}")));
            }
        }
        (IpAddr::V6(a), IpAddr::V6(_)) if a.is_unspecified() => {
            mask = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
        }
        (IpAddr::V6(_), IpAddr::V6(_)) => {}
        _ => return Err(usage("cannot mix IPv4 and IPv6 addresses")),
    }
    let bits = RestrictFlags(flags.0);
    let mut words = mflags.names();
    words.extend(flags.names());
    signed(
        ctx,
        code,
        &|layout| match layout.restrict {
            RestrictLayout::Late => Items::of(
                &[ConfRestrictP18Item::swapped(addr, mask, bits, mflags)],
                layout.size::<ConfRestrictP18Item>(),
            ),
            RestrictLayout::Early => Items::of(
                &[ConfRestrictItem {
                    addr,
                    mask,
                    flags: bits,
                    mflags,
                }],
                layout.size::<ConfRestrictItem>(),
            ),
        },
        &[
            ("address", json!(addr)),
            ("mask", json!(mask)),
            ("flags", json!(words)),
        ],
    )
}

pub fn restrict(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    do_restrict(ctx, args, RequestCode::ResAddFlags)
}

pub fn unrestrict(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    do_restrict(ctx, args, RequestCode::ResSubFlags)
}

pub fn delrestrict(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    do_restrict(ctx, args, RequestCode::Unrestrict)
}

pub fn reset(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    if args.is_empty() {
        return Err(usage(
            "name at least one of io sys mem timer auth ctl allpeers",
        ));
    }
    let mut flags = ResetFlags::NONE;
    for word in args {
        flags |= ResetFlags::from_name(word)
            .ok_or_else(|| usage(format!("flag {word} unknown; not done")))?;
    }
    let item = ResetFlagsItem { flags };
    signed(
        ctx,
        RequestCode::ResetStats,
        &|_| Items::of(&[item], ResetFlagsItem::SIZE),
        &[("counters", json!(flags.names()))],
    )
}

pub fn readkeys(ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    signed(ctx, RequestCode::RereadKeys, &|_| Ok(Items::none()), &[])
}

fn key_ids(args: &[String]) -> Result<Vec<KeyId>, CmdError> {
    if args.is_empty() {
        return Err(usage("a key ID is required"));
    }
    args.iter()
        .map(|a| number::<u32>(a, "key ID").map(KeyId))
        .collect()
}

fn trust(ctx: &mut Ctx<'_, '_>, args: &[String], code: RequestCode) -> Result<Output, CmdError> {
    let keys = key_ids(args)?;
    let ids: Vec<u32> = keys.iter().map(|k| k.0).collect();
    signed(
        ctx,
        code,
        // ntpd reads the key IDs as host-order u32s at a 4-octet stride, whatever the declared
        // item size (its u_long) is.
        &|layout| {
            Ok(Items {
                itemsize: layout.long.octets(),
                nitems: keys.len(),
                data: keys.iter().flat_map(|k| k.0.to_le_bytes()).collect(),
            })
        },
        &[("keys", json!(ids))],
    )
}

pub fn trustedkey(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    trust(ctx, args, RequestCode::TrustKey)
}

pub fn untrustedkey(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    trust(ctx, args, RequestCode::UntrustKey)
}

fn change_key(
    ctx: &mut Ctx<'_, '_>,
    args: &[String],
    code: RequestCode,
) -> Result<Output, CmdError> {
    let [word] = args else {
        return Err(usage("exactly one key ID is required"));
    };
    let item = KeyIdItem {
        keyid: KeyId(number(word, "key ID")?),
    };
    signed(
        ctx,
        code,
        &|layout| Items::of(&[item], layout.long.octets()),
        &[("keyid", json!(item.keyid.0))],
    )
}

pub fn requestkey(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    change_key(ctx, args, RequestCode::RequestKey)
}

pub fn controlkey(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    change_key(ctx, args, RequestCode::ControlKey)
}

fn trap(ctx: &mut Ctx<'_, '_>, args: &[String], code: RequestCode) -> Result<Output, CmdError> {
    let (family, rest) = family_and_rest(args);
    let (addr, port, interface) = match rest.as_slice() {
        [addr] => (*addr, None, None),
        [addr, port] => (*addr, Some(*port), None),
        [addr, port, interface] => (*addr, Some(*port), Some(*interface)),
        [] => return Err(usage("an address is required")),
        [_, _, _, extra, ..] => return Err(usage(format!("unexpected argument '{extra}'"))),
    };
    let trap_address = address(addr, family)?;
    let trap_port = match port {
        Some(p) => number::<u16>(p, "port")?,
        None => ConfTrapItem::DEFAULT_PORT,
    };
    let local_address = match interface {
        Some(i) => {
            let local = address(i, family)?;
            if local.is_ipv4() != trap_address.is_ipv4() {
                return Err(usage("cannot mix IPv4 and IPv6 addresses"));
            }
            local
        }
        None if trap_address.is_ipv4() => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        None => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let item = ConfTrapItem {
        local_address,
        trap_address,
        trap_port,
    };
    signed(
        ctx,
        code,
        &|layout| Items::of(&[item], layout.size::<ConfTrapItem>()),
        &[
            ("address", json!(trap_address)),
            ("port", json!(trap_port)),
            (
                "interface",
                if local_address.is_unspecified() {
                    Value::Null
                } else {
                    json!(local_address)
                },
            ),
        ],
    )
}

pub fn addtrap(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    trap(ctx, args, RequestCode::AddTrap)
}

pub fn clrtrap(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    trap(ctx, args, RequestCode::ClrTrap)
}

/// A decimal number of seconds as a signed `l_fp`, exactly for up to nine decimals.
fn seconds(word: &str) -> Option<NtpTimestamp> {
    let (negative, digits) = match word.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, word.strip_prefix('+').unwrap_or(word)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    if whole > u64::from(u32::MAX >> 1) {
        return None;
    }
    let frac = frac.get(..frac.len().min(18)).unwrap_or_default();
    let fraction = if frac.is_empty() {
        0
    } else {
        let scale = 10_u128.pow(u32::try_from(frac.len()).ok()?);
        let value: u128 = frac.parse().ok()?;
        u64::try_from(((value << 32) + scale / 2) / scale).ok()?
    };
    let bits = (whole << 32).checked_add(fraction)?;
    let bits = if negative { bits.wrapping_neg() } else { bits };
    Some(NtpTimestamp::from_bits(bits))
}

pub fn fudge(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    let (family, rest) = family_and_rest(args);
    let [clock, which, value] = rest.as_slice() else {
        return Err(usage("an address, a factor and a value are required"));
    };
    let clockadr = match address(clock, family)? {
        IpAddr::V4(v4) if v4.octets()[..2] == [127, 127] => v4,
        other => {
            return Err(usage(format!(
                "'{other}' is not a reference clock address (127.127.t.u)"
            )));
        }
    };
    let bad = || usage(format!("unknown fudge parameter {value}"));
    let mut item = ConfFudgeItem {
        clockadr,
        which: FudgeWhich::Time1,
        fudgetime: NtpTimestamp::ZERO,
        value: 0,
    };
    let shown: Value = match *which {
        "time1" | "time2" => {
            item.which = if *which == "time1" {
                FudgeWhich::Time1
            } else {
                FudgeWhich::Time2
            };
            item.fudgetime = seconds(value).ok_or_else(bad)?;
            json!(item.fudgetime.as_offset_seconds())
        }
        "val1" | "val2" => {
            item.which = if *which == "val1" {
                FudgeWhich::Val1
            } else {
                FudgeWhich::Val2
            };
            let v: i64 = value.parse().map_err(|_| bad())?;
            item.value = i32::try_from(v)
                .map(i32::cast_unsigned)
                .or_else(|_| u32::try_from(v))
                .map_err(|_| bad())?;
            json!(v)
        }
        "flags" => {
            item.which = FudgeWhich::Flags;
            let hex = value.trim_start_matches("0x");
            item.value = u32::from_str_radix(hex, 16).map_err(|_| bad())? & 0xf;
            json!(item.value)
        }
        other => return Err(usage(format!("what fudge is {other}?"))),
    };
    signed(
        ctx,
        RequestCode::SetClkFudge,
        &|_| Items::of(&[item], ConfFudgeItem::SIZE),
        &[
            ("address", json!(clockadr)),
            ("factor", json!(which)),
            ("value", shown),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words the shared shell hands `addserver` for `args`.
    fn tokenize(args: &str) -> Vec<String> {
        ntpkit_shell::parse_line(&crate::commands::table(), &format!("addserver {args}"))
            .expect("parses")
            .expect("a command")
            .words()
    }

    #[test]
    fn peer_options_as_ntpdc_reads_them() {
        let item = parse_peer(
            &tokenize("10.77.98.1 5 4 iburst minpoll 4 maxpoll 6"),
            3,
            false,
        )
        .unwrap();
        assert_eq!(item.keyid, KeyId(5));
        assert_eq!(item.version, 4);
        assert_eq!((item.minpoll, item.maxpoll), (4, 6));
        assert!(
            item.flags
                .contains(ConfPeerFlags::IBURST | ConfPeerFlags::AUTHENABLE)
        );
        let item = parse_peer(&tokenize("10.77.98.1"), 1, false).unwrap();
        assert_eq!(
            (item.version, item.minpoll, item.maxpoll, item.keyid),
            (3, 6, 10, KeyId(0))
        );
        assert!(item.flags.is_empty());
        let clock = parse_peer(&tokenize("127.127.1.1 2 prefer"), 3, true).unwrap();
        assert_eq!(clock.ttl, 2);
        assert!(clock.flags.contains(ConfPeerFlags::PREFER));
        for bad in [
            "10.77.98.1 1 2 3",
            "10.77.98.1 version 9",
            "10.77.98.1 minpoll 2",
            "10.77.98.1 bogus",
            "10.77.98.1 -1",
        ] {
            assert!(parse_peer(&tokenize(bad), 3, false).is_err(), "{bad}");
        }
        assert!(parse_peer(&tokenize("10.77.98.1"), 3, true).is_err());
    }

    #[test]
    fn a_full_line_of_options_reaches_the_parser() {
        // Thirteen words after the address: ntpdc's fourteen arguments, all of them used.
        let words =
            tokenize("-4 10.77.98.1 0 4 iburst prefer burst minpoll 4 maxpoll 6 keyid 7 version 3");
        assert_eq!(words.len(), 15, "{words:?}");
        let item = parse_peer(&words, 3, false).unwrap();
        assert_eq!((item.keyid, item.version), (KeyId(7), 3));
        assert_eq!((item.minpoll, item.maxpoll), (4, 6));
        assert!(item.flags.contains(
            ConfPeerFlags::IBURST
                | ConfPeerFlags::PREFER
                | ConfPeerFlags::BURST
                | ConfPeerFlags::AUTHENABLE
        ));
    }

    #[test]
    fn masks_and_seconds() {
        assert!(contiguous(Ipv4Addr::new(255, 255, 0, 0)));
        assert!(contiguous(Ipv4Addr::BROADCAST));
        assert!(contiguous(Ipv4Addr::UNSPECIFIED));
        assert!(!contiguous(Ipv4Addr::new(255, 0, 255, 0)));
        assert_eq!(seconds("0.5"), Some(NtpTimestamp::new(0, 0x8000_0000)));
        assert_eq!(seconds("2"), Some(NtpTimestamp::new(2, 0)));
        assert_eq!(
            seconds("-0.5").map(NtpTimestamp::as_offset_seconds),
            Some(-0.5)
        );
        assert_eq!(seconds(".25"), Some(NtpTimestamp::new(0, 0x4000_0000)));
        for bad in ["", ".", "abc", "1.2.3", "1e3", "-"] {
            assert_eq!(seconds(bad), None, "{bad}");
        }
    }
}
