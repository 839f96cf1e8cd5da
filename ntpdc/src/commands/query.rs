//! The query commands: one mode 7 request each, decoded into items, shown in the classic
//! layout and as JSON records.

use std::net::IpAddr;

use ntpkit::private::{
    AuthInfoItem, ClockAddrItem, ClockBugItem, ClockInfoItem, ControlStatsItem, IfStatsItem,
    Implementation, InfoCode, IoStatsItem, KernelInfoItem, LoopInfoItem, MemStatsItem, MonitorList,
    PeerInfoItem, PeerListItem, PeerStatsItem, PeerSummaryItem, PrivateItem, PrivateResponse,
    RequestCode, RestrictItem, SysInfoItem, SysStatsItem, TimerStatsItem, TrapItem,
};
use ntpkit::record::private::{
    AuthInfoRecord, ClockBugRecord, ClockInfoRecord, ControlStatsRecord, InterfaceRecord,
    IoStatsRecord, KernelInfoRecord, LoopInfoRecord, MemStatsRecord, MonitorRecord, PeerInfoRecord,
    PeerListRecord, PeerStatsRecord, PeerSummaryRecord, RestrictNumbering, RestrictRecord,
    SysInfoRecord, SysStatsRecord, TimerStatsRecord, TrapRecord,
};
use serde::Serialize;
use serde_json::{Value, json};

use super::args::{addresses, family_filter, in_family};
use super::{Ctx, Output};
use crate::error::{CmdError, usage};
use crate::render;
use crate::session::{Items, Request, unix_now};

/// What ntpdc prints when a list comes back empty.
const NO_DATA: &str = "No data returned in response to query\n";

fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Sends `code` without items.
fn plain(
    ctx: &mut Ctx<'_, '_>,
    code: RequestCode,
    auth: bool,
) -> Result<PrivateResponse, CmdError> {
    ctx.session.query(&Request {
        code,
        auth,
        items: &|_| Ok(Items::none()),
    })
}

/// Every item of the response as `T`.
fn decode<T: PrivateItem>(response: &PrivateResponse) -> Result<Vec<T>, CmdError> {
    response.decode_items::<T>().map_err(|e| match e {
        ntpkit::private::PrivateError::ItemSize { size, .. } => CmdError::Failed(format!(
            "incorrect item size returned by remote host ({size} should be {})",
            T::SIZE
        )),
        other => CmdError::Failed(format!("bad response: {other}")),
    })
}

/// Exactly one item.
fn one<T: PrivateItem>(response: &PrivateResponse) -> Result<T, CmdError> {
    let mut items = decode::<T>(response)?;
    match items.len() {
        1 => Ok(items.remove(0)),
        0 => Err(CmdError::Failed(
            "no data returned in response to query".into(),
        )),
        n => Err(CmdError::Failed(format!(
            "expected one item in response, got {n}"
        ))),
    }
}

/// A list: the text, or the classic "No data" line when it is empty.
fn list_output(empty: bool, text: String, json: Value) -> Output {
    Output::new(if empty { NO_DATA.to_owned() } else { text }, json)
}

pub fn listpeers(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    let family = family_filter(args)?;
    let response = plain(ctx, RequestCode::PeerList, false)?;
    let items: Vec<PeerListItem> = decode::<PeerListItem>(&response)?
        .into_iter()
        .filter(|p| in_family(p.addr, family))
        .collect();
    let records: Vec<PeerListRecord> = items.iter().map(PeerListRecord::from).collect();
    Ok(list_output(
        response.nitems == 0,
        render::listpeers(&items, &ctx.view),
        json!({ "peers": records }),
    ))
}

fn summary(ctx: &mut Ctx<'_, '_>, args: &[String], dm: bool) -> Result<Output, CmdError> {
    let family = family_filter(args)?;
    let response = plain(ctx, RequestCode::PeerListSum, false)?;
    let items: Vec<PeerSummaryItem> = decode::<PeerSummaryItem>(&response)?
        .into_iter()
        .filter(|p| in_family(p.srcadr, family))
        .collect();
    let records: Vec<PeerSummaryRecord> = items.iter().map(PeerSummaryRecord::from).collect();
    Ok(list_output(
        response.nitems == 0,
        render::peers(&items, &ctx.view, dm),
        json!({ "peers": records }),
    ))
}

pub fn peers(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    summary(ctx, args, false)
}

pub fn dmpeers(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    summary(ctx, args, true)
}

/// A request naming up to four peers with `info_peer_list` items.
fn per_peer(
    ctx: &mut Ctx<'_, '_>,
    args: &[String],
    code: RequestCode,
) -> Result<PrivateResponse, CmdError> {
    let addrs = addresses(args, 4)?;
    let items: Vec<PeerListItem> = addrs.iter().map(|a| PeerListItem::query(*a)).collect();
    ctx.session.query(&Request {
        code,
        auth: false,
        items: &|layout| Items::of(&items, layout.size::<PeerListItem>()),
    })
}

pub fn showpeer(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    let response = per_peer(ctx, args, RequestCode::PeerInfo)?;
    let items = decode::<PeerInfoItem>(&response)?;
    let now = unix_now();
    let records: Vec<PeerInfoRecord> = items.iter().map(|i| PeerInfoRecord::new(i, now)).collect();
    Ok(list_output(
        items.is_empty(),
        render::showpeer(&items, &ctx.view),
        json!({ "peers": records }),
    ))
}

pub fn pstats(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    let response = per_peer(ctx, args, RequestCode::PeerStats)?;
    let items = decode::<PeerStatsItem>(&response)?;
    let records: Vec<PeerStatsRecord> = items.iter().map(PeerStatsRecord::from).collect();
    Ok(list_output(
        items.is_empty(),
        render::pstats(&items, &ctx.view),
        json!({ "peers": records }),
    ))
}

pub fn loopinfo(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    let oneline = match args.first().map(String::as_str) {
        None | Some("multiline") => false,
        Some("oneline") => true,
        Some(other) => {
            return Err(usage(format!(
                "'{other}': how many lines? oneline or multiline"
            )));
        }
    };
    let item: LoopInfoItem = one(&plain(ctx, RequestCode::LoopInfo, false)?)?;
    Ok(Output::new(
        render::loopinfo(&item, oneline),
        to_json(&LoopInfoRecord::from(&item)),
    ))
}

pub fn sysinfo(ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    let item: SysInfoItem = one(&plain(ctx, RequestCode::SysInfo, false)?)?;
    Ok(Output::new(
        render::sysinfo(&item, &ctx.view),
        to_json(&SysInfoRecord::new(&item, unix_now())),
    ))
}

pub fn sysstats(ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    let response = plain(ctx, RequestCode::SysStats, false)?;
    let item: SysStatsItem = one(&response)?;
    let size = usize::from(response.itemsize);
    Ok(Output::new(
        render::sysstats(&item, size),
        to_json(&SysStatsRecord::new(&item, size)),
    ))
}

pub fn memstats(ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    let item: MemStatsItem = one(&plain(ctx, RequestCode::MemStats, false)?)?;
    Ok(Output::new(
        render::memstats(&item),
        to_json(&MemStatsRecord::from(&item)),
    ))
}

pub fn iostats(ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    let item: IoStatsItem = one(&plain(ctx, RequestCode::IoStats, false)?)?;
    Ok(Output::new(
        render::iostats(&item),
        to_json(&IoStatsRecord::from(&item)),
    ))
}

pub fn timerstats(ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    let item: TimerStatsItem = one(&plain(ctx, RequestCode::TimerStats, false)?)?;
    Ok(Output::new(
        render::timerstats(&item),
        to_json(&TimerStatsRecord::from(&item)),
    ))
}

pub fn authinfo(ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    let item: AuthInfoItem = one(&plain(ctx, RequestCode::AuthInfo, false)?)?;
    Ok(Output::new(
        render::authinfo(&item),
        to_json(&AuthInfoRecord::from(&item)),
    ))
}

pub fn ctlstats(ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    let item: ControlStatsItem = one(&plain(ctx, RequestCode::GetCtlStats, false)?)?;
    Ok(Output::new(
        render::ctlstats(&item),
        to_json(&ControlStatsRecord::from(&item)),
    ))
}

pub fn kerninfo(ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    let item: KernelInfoItem = one(&plain(ctx, RequestCode::GetKernel, false)?)?;
    Ok(Output::new(
        render::kerninfo(&item),
        to_json(&KernelInfoRecord::from(&item)),
    ))
}

pub fn traps(ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    let response = plain(ctx, RequestCode::Traps, false)?;
    let items = decode::<TrapItem>(&response)?;
    let records: Vec<TrapRecord> = items.iter().map(TrapRecord::from).collect();
    Ok(list_output(
        items.is_empty(),
        render::traps(&items),
        json!({ "traps": records }),
    ))
}

pub fn reslist(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    let family = family_filter(args)?;
    let response = plain(ctx, RequestCode::GetRestrict, false)?;
    let numbering = if response.implementation == Implementation::XntpdOld {
        RestrictNumbering::Xntp3
    } else {
        RestrictNumbering::Late4
    };
    let items: Vec<RestrictItem> = decode::<RestrictItem>(&response)?
        .into_iter()
        .filter(|r| in_family(r.addr, family))
        .collect();
    let records: Vec<RestrictRecord> = items
        .iter()
        .map(|r| RestrictRecord::new(r, numbering))
        .collect();
    Ok(list_output(
        response.nitems == 0,
        render::reslist(&items, &ctx.view, numbering),
        json!({ "entries": records }),
    ))
}

pub fn monlist(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    let version: Option<i64> = args
        .first()
        .map(|v| super::args::number(v, "version"))
        .transpose()?;
    // Without a version, try MON_GETLIST_1 and fall back to MON_GETLIST if it is unknown.
    let first = if matches!(version, None | Some(1)) {
        RequestCode::MonGetList1
    } else {
        RequestCode::MonGetList
    };
    let response = match plain(ctx, first, false) {
        Err(CmdError::Server(InfoCode::Req)) if version.is_none() => {
            plain(ctx, RequestCode::MonGetList, false)?
        }
        other => other?,
    };
    let list = MonitorList::from_response(&response).map_err(|e| {
        CmdError::Failed(format!("incorrect item size returned by remote host: {e}"))
    })?;
    let (layout, records): (&str, Vec<MonitorRecord>) = match &list {
        MonitorList::V1(items) => (
            "info_monitor_1",
            items.iter().map(MonitorRecord::from).collect(),
        ),
        MonitorList::Current(items) => (
            "info_monitor",
            items.iter().map(MonitorRecord::from).collect(),
        ),
        MonitorList::Old(items) => (
            "old_info_monitor",
            items.iter().map(MonitorRecord::from).collect(),
        ),
    };
    Ok(list_output(
        records.is_empty(),
        render::monlist(&list, &ctx.view),
        json!({ "layout": layout, "entries": records }),
    ))
}

/// Up to eight reference clock addresses.
fn clock_addrs(args: &[String]) -> Result<Vec<ClockAddrItem>, CmdError> {
    addresses(args, 8)?
        .into_iter()
        .map(|a| match a {
            IpAddr::V4(addr) if addr.octets()[..2] == [127, 127] => Ok(ClockAddrItem { addr }),
            other => Err(usage(format!(
                "'{other}' is not a reference clock address (127.127.t.u)"
            ))),
        })
        .collect()
}

fn clock_request(
    ctx: &mut Ctx<'_, '_>,
    args: &[String],
    code: RequestCode,
) -> Result<PrivateResponse, CmdError> {
    let clocks = clock_addrs(args)?;
    ctx.session.query(&Request {
        code,
        auth: false,
        items: &|_| Items::of(&clocks, ClockAddrItem::SIZE),
    })
}

pub fn clockstat(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    let response = clock_request(ctx, args, RequestCode::GetClockInfo)?;
    let items = decode::<ClockInfoItem>(&response)?;
    let records: Vec<ClockInfoRecord> = items.iter().map(ClockInfoRecord::from).collect();
    Ok(list_output(
        items.is_empty(),
        render::clockstat(&items),
        json!({ "clocks": records }),
    ))
}

pub fn clkbug(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    let response = clock_request(ctx, args, RequestCode::GetClkBugInfo)?;
    let items = decode::<ClockBugItem>(&response)?;
    let now = unix_now();
    let records: Vec<ClockBugRecord> = items.iter().map(|c| ClockBugRecord::new(c, now)).collect();
    Ok(list_output(
        items.is_empty(),
        render::clkbug(&items),
        json!({ "clocks": records }),
    ))
}

fn interfaces(ctx: &mut Ctx<'_, '_>, code: RequestCode) -> Result<Output, CmdError> {
    let response = plain(ctx, code, true)?;
    let items = decode::<IfStatsItem>(&response)?;
    if usize::from(response.itemsize) != IfStatsItem::SIZE && !items.is_empty() {
        // The pre-IPv6 layout stops before the name and every counter.
        return Err(CmdError::Failed(format!(
            "incorrect item size returned by remote host ({} should be {})",
            response.itemsize,
            IfStatsItem::SIZE
        )));
    }
    let records: Vec<InterfaceRecord> = items.iter().map(InterfaceRecord::from).collect();
    Ok(list_output(
        items.is_empty(),
        render::ifstats(&items, &ctx.view),
        json!({ "interfaces": records }),
    ))
}

pub fn ifstats(ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    interfaces(ctx, RequestCode::IfStats)
}

pub fn ifreload(ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    interfaces(ctx, RequestCode::IfReload)
}
