//! The namespaces of scratch daemons: creating them (loopback only, or attached to the lab bridge on a
//! leased spare address), deleting them, a watchdog for test processes that die first, and sweeping what
//! dead test processes left.

use std::fs;
use std::io::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::paths::STATE_DIR;
use crate::process::{self, ProcId};
use crate::topology::{BRIDGE_NETNS, CLIENT_POOL_V4, CLIENT_POOL_V6, HOSTS, v4, v6};

/// Address indexes a scratch daemon on the lab bridge may take: `10.77.0.N`, `fd77::N` (indexes the lab
/// layout gives its own hosts are skipped).
pub const SCRATCH_LAB_INDEXES: std::ops::RangeInclusive<u8> = 60..=69;

/// Prefix of scratch namespaces: `ntpkit-s<pid>.<start>.<n>`, so stale ones can be told apart.
pub const NETNS_PREFIX: &str = "ntpkit-s";

/// Where the scratch daemon is reachable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Network {
    /// Only loopback.
    Loopback,
    /// On the lab bridge.
    Lab {
        /// The lab client's addresses (the client pools are routed via it).
        client_v4: Ipv4Addr,
        /// See `client_v4`.
        client_v6: Ipv6Addr,
        /// The lab hosts' namespaces, whose neighbour entries for our address are flushed.
        peers: Vec<String>,
        /// Addresses lab hosts already use.
        taken: Vec<Ipv4Addr>,
    },
}

/// A namespace made for a scratch daemon.
#[derive(Debug)]
pub struct Attached {
    /// Its IPv4 address.
    pub v4: Ipv4Addr,
    /// Its IPv6 address.
    pub v6: Ipv6Addr,
    /// The lease of its lab address, if on the lab bridge.
    pub lease: Option<PathBuf>,
}

/// `ip` with whitespace-separated arguments (none of ours contain spaces).
fn ip(args: &str) -> anyhow::Result<()> {
    let args: Vec<&str> = args.split_whitespace().collect();
    process::run("ip", &args).map(drop)
}

/// Creates namespace `ns` with loopback up and, for [`Network::Lab`], an interface on the lab bridge.
pub fn create(ns: &str, network: &Network) -> anyhow::Result<Attached> {
    ip(&format!("netns add {ns}"))?;
    ip(&format!("-n {ns} link set lo up"))?;
    let Network::Lab {
        client_v4,
        client_v6,
        peers,
        taken,
    } = network
    else {
        return Ok(Attached {
            v4: Ipv4Addr::LOCALHOST,
            v6: Ipv6Addr::LOCALHOST,
            lease: None,
        });
    };
    if !process::netns_exists(BRIDGE_NETNS) {
        bail!("the lab bridge namespace {BRIDGE_NETNS} does not exist: is the lab up?");
    }
    let (index, lease) = claim_lab_index(taken)?;
    let (a4, a6) = (v4(index, 0), v6(index, 0));
    let attached = Attached {
        v4: a4,
        v6: a6,
        lease: Some(lease),
    };
    // A fixed MAC per address, so the neighbour entries lab hosts keep stay right across daemons;
    // entries left by anything else that used the address are flushed below: lab hosts kept sending
    // to a stale MAC for seconds, and a gratuitous ARP did not displace the entry.
    let (port, mac) = (format!("v-s{index}"), format!("02:6e:6b:73:00:{index:02x}"));
    let made = ip(&format!(
        "-n {BRIDGE_NETNS} link add {port} type veth peer name eth0 address {mac} netns {ns}"
    ))
    .and_then(|()| ip(&format!("-n {BRIDGE_NETNS} link set {port} master br0 up")))
    .and_then(|()| ip(&format!("-n {ns} addr add {a4}/16 dev eth0")))
    .and_then(|()| ip(&format!("-n {ns} addr add {a6}/64 dev eth0 nodad")))
    .and_then(|()| ip(&format!("-n {ns} link set eth0 up")))
    .and_then(|()| {
        let (pool4, bits4) = CLIENT_POOL_V4;
        let (pool6, bits6) = CLIENT_POOL_V6;
        ip(&format!(
            "-n {ns} route add {pool4}/{bits4} via {client_v4}"
        ))?;
        ip(&format!(
            "-n {ns} -6 route add {pool6}/{bits6} via {client_v6}"
        ))
    });
    if let Err(e) = made {
        if let Some(lease) = &attached.lease {
            let _ = fs::remove_file(lease);
        }
        return Err(e);
    }
    for peer in peers {
        let _ = ip(&format!("-n {peer} neigh flush to {a4}"));
        let _ = ip(&format!("-n {peer} -6 neigh flush to {a6}"));
    }
    Ok(attached)
}

/// Kills whatever runs in `netns` and deletes it.
pub fn delete_netns(netns: &str) {
    if !process::netns_exists(netns) {
        return;
    }
    for pid in process::netns_pids(netns) {
        if let Some(p) = ProcId::of(pid) {
            p.terminate(Duration::from_secs(2));
        }
    }
    let _ = process::run("ip", &["netns", "del", netns]);
}

/// A shell loop that stops the daemon and deletes the namespace once this process is gone.
pub fn spawn_watchdog(netns: &str, daemon: Option<ProcId>) -> anyhow::Result<Child> {
    let parent = std::process::id();
    let daemon = daemon.map_or(0, |p| p.pid);
    let script = format!(
        "while kill -0 {parent} 2>/dev/null; do sleep 1; done; \
         kill {daemon} 2>/dev/null; sleep 1; kill -9 {daemon} 2>/dev/null; \
         ip netns del {netns} 2>/dev/null"
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .context("cannot start the watchdog")
}

/// Deletes scratch namespaces and address leases whose test process is gone (killed before it could
/// drop them).
pub fn sweep_stale() {
    if let Ok(entries) = fs::read_dir("/run/netns") {
        for name in entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
        {
            let owner = name.strip_prefix(NETNS_PREFIX).and_then(parse_owner);
            if owner.is_some_and(|o| !o.alive()) {
                delete_netns(&name);
            }
        }
    }
    if let Ok(entries) = fs::read_dir(leases_dir()) {
        for entry in entries.filter_map(Result::ok) {
            let owner = fs::read_to_string(entry.path())
                .ok()
                .and_then(|t| parse_owner(t.trim()));
            if owner.is_none_or(|o| !o.alive()) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

fn leases_dir() -> PathBuf {
    Path::new(STATE_DIR).join("scratch")
}

/// `<pid>.<start>[.<n>]` → the owning process.
fn parse_owner(text: &str) -> Option<ProcId> {
    let mut parts = text.split('.');
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next()?.parse().ok()?;
    Some(ProcId { pid, start })
}

/// Claims a free lab address index machine-wide (a lease file naming this process), skipping
/// addresses lab hosts use.
fn claim_lab_index(taken: &[Ipv4Addr]) -> anyhow::Result<(u8, PathBuf)> {
    let dir = leases_dir();
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let me = ProcId::current();
    // Addresses of this layout's hosts and of the running lab's are never claimed.
    let layout = |i: u8| HOSTS.iter().any(|h| h.index == i);
    for index in SCRATCH_LAB_INDEXES.filter(|&i| !layout(i) && !taken.contains(&v4(i, 0))) {
        let path = dir.join(index.to_string());
        let created = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{}.{}", me.pid, me.start));
        if created.is_ok() {
            return Ok((index, path));
        }
    }
    bail!(
        "every free scratch lab address 10.77.0.{}-{} is taken (leases in {})",
        SCRATCH_LAB_INDEXES.start(),
        SCRATCH_LAB_INDEXES.end(),
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_parse_from_names() {
        assert_eq!(
            parse_owner("12.345.6"),
            Some(ProcId {
                pid: 12,
                start: 345
            })
        );
        assert_eq!(
            parse_owner("12.345"),
            Some(ProcId {
                pid: 12,
                start: 345
            })
        );
        assert_eq!(parse_owner("x"), None);
    }

    #[test]
    fn scratch_addresses_avoid_the_layout() {
        for index in SCRATCH_LAB_INDEXES {
            assert!(HOSTS.iter().all(|h| h.index != index), "{index}");
        }
    }
}
