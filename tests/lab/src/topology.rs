//! The lab's hosts, their addresses, and the network namespaces joining them.
//!
//! Every host is a network namespace `ntpkit-<name>` with one interface, `eth0`, whose veth peer sits on
//! the bridge `br0` in the namespace `ntpkit-br`. Nothing is created in the root namespace and no
//! namespace has a default route: lab traffic cannot leave the lab.
//!
//! Addresses follow the host's index N: `10.77.0.N/16` and `fd77::N/64` (N written in decimal digits in
//! both, so host 10 is `fd77::10`). Extra "fleet" addresses of host N are `10.77.N.M` and `fd77::N:M`.
//! The client namespace also owns the whole pools `10.78.0.0/16` and `fd78::/64` (local routes on `lo`,
//! so a test may bind any address in them) and every other host routes them to the client.
//!
//! To add a host, add a row to [`HOSTS`]; a daemon row also gets its `ntp.conf` from
//! [`crate::daemons`], and the start-up waits until it reports its stratum.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::process;

/// Prefix of every namespace the lab creates.
pub const NETNS_PREFIX: &str = "ntpkit-";
/// The namespace holding the bridge.
pub const BRIDGE_NETNS: &str = "ntpkit-br";
/// Pool of client source addresses (IPv4), owned by the client namespace.
pub const CLIENT_POOL_V4: (Ipv4Addr, u8) = (Ipv4Addr::new(10, 78, 0, 0), 16);
/// Pool of client source addresses (IPv6), owned by the client namespace.
pub const CLIENT_POOL_V6: (Ipv6Addr, u8) = (Ipv6Addr::new(0xfd78, 0, 0, 0, 0, 0, 0, 0), 64);

/// Which NTP daemon a host runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Daemon {
    /// The classic reference ntpd 4.2.8p15 (Debian bullseye build), with mode 7.
    Reference,
    /// NTPsec 1.2.2 (Debian bookworm); no mode 7.
    Ntpsec,
}

impl Daemon {
    /// A short human name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Reference => "ntpd 4.2.8p15",
            Self::Ntpsec => "NTPsec 1.2.2",
        }
    }
}

/// Where a daemon gets its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upstream {
    /// The undisciplined local clock driver (`127.127.1.0`, fudged to stratum 0): the daemon is stratum 1.
    LocalClock,
    /// The local clock driver on a clock shifted by libfaketime (`FAKETIME="+2.5s"`): a stratum 1 whose
    /// time is off by exactly `ms` milliseconds (see [`crate::daemons`] for how its packet timestamps
    /// are kept consistent).
    ShiftedClock {
        /// The shift, in milliseconds; positive means the daemon's clock is ahead.
        ms: i32,
    },
    /// Another lab host, optionally over a symmetric-key authenticated association.
    Server {
        /// The upstream host's name.
        host: &'static str,
        /// Key ID for `server ... key N`.
        key: Option<u32>,
    },
    /// Another lab host over IPv6 (`server fd77::N`): the daemon's refid is then the MD5 hash of
    /// that address, and its system peer's source address is IPv6.
    ServerV6 {
        /// The upstream host's name.
        host: &'static str,
    },
    /// No upstream: a synchronization loop with `peer`. Each daemon of the pair serves time from its
    /// local clock (not preferred, fudged to stratum 3, used when nothing better is selectable) and
    /// uses the other's first fleet address as a server. ntpd's loop check compares a server's refid
    /// with the local address the server is reached from, which the fleet address defeats, so each
    /// selects the other as soon as it is synchronized; their strata then climb until one reaches
    /// the ceiling (15), the other drops it, and the loop forms again. Both are in the loop most of the
    /// time (the lab measured about three quarters); [`crate::Lab::wait_for_loop`] waits for it.
    Loop {
        /// The other daemon of the pair.
        peer: &'static str,
    },
}

/// What a daemon lets the client host do, by the client's own addresses (main and fleet; the client
/// pools and every other lab address keep full access).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAccess {
    /// Time and mode 6 queries, like every other lab address.
    Full,
    /// `restrict <client> noquery`: time (mode 3) only; mode 6 and 7 requests are dropped.
    NoQuery,
    /// `restrict <client> ignore`: nothing at all is answered.
    Ignore,
}

/// What a host is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Runs an NTP daemon.
    Daemon {
        /// Which daemon.
        kind: Daemon,
        /// Its time source.
        upstream: Upstream,
        /// The stratum it reaches when the lab is synchronised.
        stratum: u8,
    },
    /// Runs the tools under test and the reference tools.
    Client,
    /// Runs impairing UDP relays (each on its own fleet address).
    Relay,
}

/// One row of the topology.
#[derive(Clone, Copy, Debug)]
pub struct HostSpec {
    /// Host name; the namespace is `ntpkit-<name>`.
    pub name: &'static str,
    /// Address index N (1..=99): `10.77.0.N`, `fd77::N`.
    pub index: u8,
    /// What the host does.
    pub role: Role,
    /// Number of fleet addresses configured before the daemon starts (`10.77.N.1..`).
    pub fleet: u8,
    /// What the daemon lets the client's own addresses do.
    pub client_access: ClientAccess,
}

/// The lab's hosts. The order is the start order: upstream daemons first.
pub const HOSTS: &[HostSpec] = &[
    HostSpec {
        name: "ntp1",
        index: 1,
        role: Role::Daemon {
            kind: Daemon::Reference,
            upstream: Upstream::LocalClock,
            stratum: 1,
        },
        fleet: 4,
        client_access: ClientAccess::Full,
    },
    HostSpec {
        name: "ntp2",
        index: 2,
        role: Role::Daemon {
            kind: Daemon::Ntpsec,
            upstream: Upstream::Server {
                host: "ntp1",
                key: None,
            },
            stratum: 2,
        },
        fleet: 4,
        client_access: ClientAccess::Full,
    },
    HostSpec {
        name: "ntp3",
        index: 3,
        role: Role::Daemon {
            kind: Daemon::Reference,
            upstream: Upstream::Server {
                host: "ntp2",
                key: Some(1),
            },
            stratum: 3,
        },
        fleet: 4,
        client_access: ClientAccess::Full,
    },
    HostSpec {
        name: "client",
        index: 10,
        role: Role::Client,
        fleet: 4,
        client_access: ClientAccess::Full,
    },
    HostSpec {
        name: "relay",
        index: 20,
        role: Role::Relay,
        fleet: 0,
        client_access: ClientAccess::Full,
    },
    // Appended hosts keep every earlier name and address, so code of the same LAYOUT that does not know
    // them still works on a lab that has them.
    HostSpec {
        name: "ahead",
        index: 41,
        role: Role::Daemon {
            kind: Daemon::Reference,
            upstream: Upstream::ShiftedClock { ms: 2500 },
            stratum: 1,
        },
        fleet: 0,
        client_access: ClientAccess::Full,
    },
    HostSpec {
        name: "behind",
        index: 42,
        role: Role::Daemon {
            kind: Daemon::Reference,
            upstream: Upstream::ShiftedClock { ms: -300 },
            stratum: 1,
        },
        fleet: 0,
        client_access: ClientAccess::Full,
    },
    // ntptrace's paths. `quiet` answers the client over mode 3 only and `leaf` follows it over IPv6;
    // `hidden` answers the client nothing and `stray` follows it; `loopa` and `loopb` follow each
    // other. Each reaches its state within the chain's own start-up time.
    HostSpec {
        name: "quiet",
        index: 51,
        role: Role::Daemon {
            kind: Daemon::Reference,
            upstream: Upstream::Server {
                host: "ntp1",
                key: None,
            },
            stratum: 2,
        },
        fleet: 0,
        client_access: ClientAccess::NoQuery,
    },
    HostSpec {
        name: "leaf",
        index: 52,
        role: Role::Daemon {
            kind: Daemon::Reference,
            upstream: Upstream::ServerV6 { host: "quiet" },
            stratum: 3,
        },
        fleet: 0,
        client_access: ClientAccess::Full,
    },
    HostSpec {
        name: "hidden",
        index: 53,
        role: Role::Daemon {
            kind: Daemon::Reference,
            upstream: Upstream::Server {
                host: "ntp1",
                key: None,
            },
            stratum: 2,
        },
        fleet: 0,
        client_access: ClientAccess::Ignore,
    },
    HostSpec {
        name: "stray",
        index: 54,
        role: Role::Daemon {
            kind: Daemon::Reference,
            upstream: Upstream::Server {
                host: "hidden",
                key: None,
            },
            stratum: 3,
        },
        fleet: 0,
        client_access: ClientAccess::Full,
    },
    HostSpec {
        name: "loopa",
        index: 55,
        role: Role::Daemon {
            kind: Daemon::Reference,
            upstream: Upstream::Loop { peer: "loopb" },
            stratum: LOOP_STRATUM,
        },
        fleet: 1,
        client_access: ClientAccess::Full,
    },
    HostSpec {
        name: "loopb",
        index: 56,
        role: Role::Daemon {
            kind: Daemon::Reference,
            upstream: Upstream::Loop { peer: "loopa" },
            stratum: LOOP_STRATUM,
        },
        fleet: 1,
        client_access: ClientAccess::Full,
    },
    // One daemon answering on 200 addresses of each family: a fleet of servers for `ntpq` with
    // many hosts, and an MRU list of its own that tests may fill with thousands of clients.
    HostSpec {
        name: "fleet",
        index: 50,
        role: Role::Daemon {
            kind: Daemon::Reference,
            upstream: Upstream::LocalClock,
            stratum: 1,
        },
        fleet: 200,
        client_access: ClientAccess::Full,
    },
];

/// The `stratum` of a loop daemon's row: not a fixed value (it climbs); the start-up waits only until
/// the daemon is synchronized, to its local clock or to its peer.
pub const LOOP_STRATUM: u8 = 0;

/// The fudged stratum of a loop daemon's local clock: it serves stratum 4 until it selects its peer.
pub const LOOP_LOCAL_STRATUM: u8 = 3;

/// Bumped whenever an existing host or the address plan changes; a running lab of another layout is not
/// reused. Hosts appended at the end of [`HOSTS`] keep the layout: code that needs them checks for them
/// ([`crate::Lab::host`] names the missing host).
pub const LAYOUT: u32 = 1;

/// The clock shift of a host started on a shifted clock, in milliseconds.
pub fn clock_shift_ms(name: &str) -> Option<i32> {
    match spec(name)?.role {
        Role::Daemon {
            upstream: Upstream::ShiftedClock { ms },
            ..
        } => Some(ms),
        Role::Daemon { .. } | Role::Client | Role::Relay => None,
    }
}

/// The client host's own addresses, main and fleet, which [`ClientAccess`] restricts. Both matter: the
/// kernel picks the main IPv4 address as the source of a datagram to a lab host, but the last fleet
/// address for IPv6.
pub fn client_addrs() -> Vec<IpAddr> {
    HOSTS
        .iter()
        .find(|h| h.role == Role::Client)
        .map(|h| {
            let h = h.host();
            std::iter::once(IpAddr::V4(h.v4))
                .chain(h.fleet_v4.iter().copied().map(IpAddr::V4))
                .chain(std::iter::once(IpAddr::V6(h.v6)))
                .chain(h.fleet_v6.iter().copied().map(IpAddr::V6))
                .collect()
        })
        .unwrap_or_default()
}

/// A lab host as the tests see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    /// Host name (`ntp1`, `client`, ...).
    pub name: String,
    /// Its network namespace (`ntpkit-ntp1`).
    pub netns: String,
    /// Its main IPv4 address.
    pub v4: Ipv4Addr,
    /// Its main IPv6 address.
    pub v6: Ipv6Addr,
    /// Extra IPv4 addresses on the same interface (a daemon listens on them too).
    pub fleet_v4: Vec<Ipv4Addr>,
    /// Extra IPv6 addresses on the same interface.
    pub fleet_v6: Vec<Ipv6Addr>,
    /// The daemon it runs, if any.
    pub daemon: Option<Daemon>,
}

impl Host {
    /// Both main addresses, IPv4 first.
    pub fn addrs(&self) -> [IpAddr; 2] {
        [IpAddr::V4(self.v4), IpAddr::V6(self.v6)]
    }
}

impl HostSpec {
    /// The host as seen by tests.
    pub fn host(&self) -> Host {
        Host {
            name: self.name.to_owned(),
            netns: format!("{NETNS_PREFIX}{}", self.name),
            v4: v4(self.index, 0),
            v6: v6(self.index, 0),
            fleet_v4: (1..=self.fleet).map(|m| v4(self.index, m)).collect(),
            fleet_v6: (1..=self.fleet).map(|m| v6(self.index, m)).collect(),
            daemon: match self.role {
                Role::Daemon { kind, .. } => Some(kind),
                Role::Client | Role::Relay => None,
            },
        }
    }
}

/// The spec of a host by name.
pub fn spec(name: &str) -> Option<&'static HostSpec> {
    HOSTS.iter().find(|h| h.name == name)
}

/// `10.77.0.N` for m = 0, else the fleet address `10.77.N.m`.
pub fn v4(index: u8, m: u8) -> Ipv4Addr {
    if m == 0 {
        Ipv4Addr::new(10, 77, 0, index)
    } else {
        Ipv4Addr::new(10, 77, index, m)
    }
}

/// `fd77::N` for m = 0, else `fd77::N:m` (decimal digits read as hex, so they print as written).
pub fn v6(index: u8, m: u8) -> Ipv6Addr {
    let digits = |n: u8| u16::from_str_radix(&n.to_string(), 16).unwrap_or(0);
    if m == 0 {
        Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, 0, digits(index))
    } else {
        Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, digits(index), digits(m))
    }
}

/// Every namespace of the current layout, bridge first.
pub fn all_netns() -> Vec<String> {
    std::iter::once(BRIDGE_NETNS.to_owned())
        .chain(HOSTS.iter().map(|h| format!("{NETNS_PREFIX}{}", h.name)))
        .collect()
}

/// Creates the bridge namespace and every host namespace with its addresses and routes.
///
/// `log` receives each command, so a failure can be followed in the lab log.
pub fn create_network(log: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    let client = HOSTS
        .iter()
        .find(|h| h.role == Role::Client)
        .context("topology has no client host")?;
    let mut ip = |args: &[&str]| -> anyhow::Result<()> {
        log(&process::display_command("ip", args));
        process::run("ip", args).map(drop)
    };
    ip(&["netns", "add", BRIDGE_NETNS])?;
    ip(&["-n", BRIDGE_NETNS, "link", "set", "lo", "up"])?;
    ip(&["-n", BRIDGE_NETNS, "link", "add", "br0", "type", "bridge"])?;
    ip(&["-n", BRIDGE_NETNS, "link", "set", "br0", "up"])?;
    let pool4 = format!("{}/{}", CLIENT_POOL_V4.0, CLIENT_POOL_V4.1);
    let pool6 = format!("{}/{}", CLIENT_POOL_V6.0, CLIENT_POOL_V6.1);
    for spec in HOSTS {
        let host = spec.host();
        let ns = host.netns.as_str();
        let port = format!("v-{}", spec.name);
        ip(&["netns", "add", ns])?;
        // Interfaces created from now on skip duplicate address detection, link-local ones included,
        // so every address is usable at once (daemons bind them all at start-up).
        ip(&[
            "netns",
            "exec",
            ns,
            "sysctl",
            "-q",
            "-w",
            "net.ipv6.conf.default.accept_dad=0",
        ])?;
        ip(&[
            "-n",
            BRIDGE_NETNS,
            "link",
            "add",
            &port,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            ns,
        ])?;
        ip(&[
            "-n",
            BRIDGE_NETNS,
            "link",
            "set",
            &port,
            "master",
            "br0",
            "up",
        ])?;
        ip(&["-n", ns, "link", "set", "lo", "up"])?;
        ip(&["-n", ns, "link", "set", "eth0", "up"])?;
        for a in std::iter::once(host.v4).chain(host.fleet_v4.iter().copied()) {
            ip(&["-n", ns, "addr", "add", &format!("{a}/16"), "dev", "eth0"])?;
        }
        for a in std::iter::once(host.v6).chain(host.fleet_v6.iter().copied()) {
            ip(&[
                "-n",
                ns,
                "addr",
                "add",
                &format!("{a}/64"),
                "dev",
                "eth0",
                "nodad",
            ])?;
        }
        if spec.role == Role::Client {
            ip(&["-n", ns, "route", "add", "local", &pool4, "dev", "lo"])?;
            ip(&["-n", ns, "-6", "route", "add", "local", &pool6, "dev", "lo"])?;
        } else {
            let via = client.host();
            ip(&["-n", ns, "route", "add", &pool4, "via", &via.v4.to_string()])?;
            ip(&[
                "-n",
                ns,
                "-6",
                "route",
                "add",
                &pool6,
                "via",
                &via.v6.to_string(),
            ])?;
        }
    }
    Ok(())
}

/// Deletes the given namespaces after killing every process still inside them.
pub fn delete_network(namespaces: &[String], log: &mut dyn FnMut(&str)) {
    for ns in namespaces {
        if !ns.starts_with(NETNS_PREFIX) || !process::netns_exists(ns) {
            continue;
        }
        for pid in process::netns_pids(ns) {
            if let Some(p) = process::ProcId::of(pid) {
                log(&format!("kill pid {pid} left in {ns}"));
                p.terminate(std::time::Duration::from_secs(2));
            }
        }
        log(&format!("ip netns del {ns}"));
        if let Err(e) = process::run("ip", &["netns", "del", ns]) {
            log(&format!("warning: {e:#}"));
        }
    }
}

/// Namespaces named `ntpkit-*` that exist now.
pub fn existing_lab_netns() -> Vec<String> {
    std::fs::read_dir("/run/netns")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with(NETNS_PREFIX))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_follow_the_index() {
        assert_eq!(v4(3, 0).to_string(), "10.77.0.3");
        assert_eq!(v4(3, 2).to_string(), "10.77.3.2");
        assert_eq!(v6(10, 0).to_string(), "fd77::10");
        assert_eq!(v6(20, 4).to_string(), "fd77::20:4");
    }

    #[test]
    fn topology_is_consistent() {
        for (i, h) in HOSTS.iter().enumerate() {
            assert!((1..=99).contains(&h.index), "{}", h.name);
            assert!(
                format!("v-{}", h.name).len() <= 15,
                "interface name too long: {}",
                h.name
            );
            assert!(
                HOSTS[..i]
                    .iter()
                    .all(|o| o.name != h.name && o.index != h.index)
            );
            match h.role {
                Role::Daemon {
                    upstream: Upstream::Server { host, .. } | Upstream::ServerV6 { host },
                    ..
                } => {
                    // Upstreams start first, so the start order is a valid dependency order.
                    assert!(
                        HOSTS[..i].iter().any(|o| o.name == host),
                        "{} before its upstream",
                        h.name
                    );
                }
                Role::Daemon {
                    upstream: Upstream::Loop { peer },
                    stratum,
                    ..
                } => {
                    // Loops are mutual, over the peer's first fleet address.
                    let other = spec(peer).expect("loop peer exists");
                    assert!(other.fleet >= 1 && h.fleet >= 1, "{}", h.name);
                    assert_eq!(stratum, LOOP_STRATUM);
                    assert!(matches!(
                        other.role,
                        Role::Daemon { upstream: Upstream::Loop { peer }, .. } if peer == h.name
                    ));
                }
                _ => {}
            }
            if h.client_access != ClientAccess::Full {
                assert!(matches!(h.role, Role::Daemon { .. }), "{}", h.name);
            }
        }
        assert_eq!(HOSTS.iter().filter(|h| h.role == Role::Client).count(), 1);
    }
}
