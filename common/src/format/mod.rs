//! Renderers for [`crate::record`] types: plain tables and JSON, written to an injected
//! `impl Write` (never to stdout directly) so tools and tests capture the same bytes.

pub mod classic;
pub mod json;
pub mod table;
pub mod vars;

pub use json::{render_json, render_json_lines};
pub use table::render_table;

/// The numeric text of an address without its port, keeping an IPv6 zone (`fe80::1%2`) as
/// ntpd reports link-local clients, so such entries stay distinguishable and can be sent back.
#[must_use]
pub fn address_text(addr: &std::net::SocketAddr) -> String {
    match addr {
        std::net::SocketAddr::V6(v6) if v6.scope_id() != 0 => {
            format!("{}%{}", v6.ip(), v6.scope_id())
        }
        other => other.ip().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::address_text;

    #[test]
    fn addresses_keep_ipv6_zones() {
        for (socket, text) in [
            ("10.77.0.2:123", "10.77.0.2"),
            ("[fd77::10:4]:123", "fd77::10:4"),
            (
                "[fe80::e0a6:b7ff:fe4d:bdf5%2]:123",
                "fe80::e0a6:b7ff:fe4d:bdf5%2",
            ),
        ] {
            assert_eq!(address_text(&socket.parse().unwrap()), text);
        }
    }
}
