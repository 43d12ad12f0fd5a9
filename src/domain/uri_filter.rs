//! Which URIs a web-download may fetch: Glance's `import_filtering_opts` (allow and deny lists
//! of schemes, hosts and ports; an allow list, when given, wins over its deny list) and, beyond
//! Glance, the addresses no import may reach unless its host is allowed by name: loopback,
//! private, link-local (the cloud metadata address), shared, multicast, reserved and unspecified,
//! v4 and v6, also when a v6 address carries a v4 one. Hosts are compared as the WHATWG URL
//! parser writes them, so `2130706433`, `0x7f000001`, `0177.1` and `127.1` are all `127.0.0.1`.

pub use super::uri_problem::{AddressKind, UriProblem};
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// The filtering settings (`[import_filtering]` in the settings file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UriFilter {
    /// Schemes allowed (empty: any not denied).
    pub allowed_schemes: Vec<String>,
    /// Schemes denied when no allow list is given.
    pub disallowed_schemes: Vec<String>,
    /// Hosts allowed (empty: any not denied). A host allowed here may be any address.
    pub allowed_hosts: Vec<String>,
    /// Hosts denied when no allow list is given.
    pub disallowed_hosts: Vec<String>,
    /// Ports allowed (empty: any not denied).
    pub allowed_ports: Vec<u16>,
    /// Ports denied when no allow list is given.
    pub disallowed_ports: Vec<u16>,
    /// Redirects followed at most (each one checked again).
    pub max_redirects: u8,
}

impl Default for UriFilter {
    /// Glance's defaults: http and https on ports 80 and 443, any public host.
    fn default() -> Self {
        UriFilter {
            allowed_schemes: vec!["http".into(), "https".into()],
            disallowed_schemes: Vec::new(),
            allowed_hosts: Vec::new(),
            disallowed_hosts: Vec::new(),
            allowed_ports: vec![80, 443],
            disallowed_ports: Vec::new(),
            max_redirects: 5,
        }
    }
}

fn passes<T: PartialEq>(value: &T, allowed: &[T], denied: &[T]) -> bool {
    if allowed.is_empty() {
        !denied.contains(value)
    } else {
        allowed.contains(value)
    }
}

impl UriFilter {
    /// Parses `uri` and checks its scheme, host and port; the error says what failed.
    pub fn check(&self, uri: &str) -> Result<Url, UriProblem> {
        let url = Url::parse(uri).map_err(|e| UriProblem::Unparsable(e.to_string()))?;
        self.check_url(&url)?;
        Ok(url)
    }

    /// Checks an already parsed URL (a redirect's target).
    pub fn check_url(&self, url: &Url) -> Result<(), UriProblem> {
        let scheme = url.scheme().to_string();
        if !matches!(scheme.as_str(), "http" | "https") {
            return Err(UriProblem::SchemeUnsupported(scheme));
        }
        if !passes(&scheme, &self.allowed_schemes, &self.disallowed_schemes) {
            return Err(UriProblem::SchemeNotAllowed(scheme));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UriProblem::Credentials);
        }
        let host = url.host_str().ok_or(UriProblem::NoHost)?.to_string();
        let bare = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let host_ok = if self.allowed_hosts.is_empty() {
            !self.disallowed_hosts.contains(&host) && !self.disallowed_hosts.contains(&bare)
        } else {
            self.allowed_hosts.contains(&host) || self.allowed_hosts.contains(&bare)
        };
        if !host_ok {
            return Err(UriProblem::HostNotAllowed(host));
        }
        let port = url.port_or_known_default().ok_or(UriProblem::NoPort)?;
        if !passes(&port, &self.allowed_ports, &self.disallowed_ports) {
            return Err(UriProblem::PortNotAllowed(port));
        }
        if let Some(ip) = literal(url) {
            self.check_address(url, ip)
                .map_err(|kind| UriProblem::Address {
                    address: ip.to_string(),
                    kind,
                })?;
        }
        Ok(())
    }

    /// Whether the operator allowed `url`'s host by name (then any address is fine).
    pub fn host_allowed_by_name(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        self.allowed_hosts
            .iter()
            .any(|h| h == host || h.as_str() == bare)
    }

    /// Checks an address `url`'s host stands for (a literal, or one it resolved to).
    pub fn check_address(&self, url: &Url, ip: IpAddr) -> Result<(), AddressKind> {
        if self.host_allowed_by_name(url) {
            return Ok(());
        }
        match forbidden(ip) {
            Some(kind) => Err(kind),
            None => Ok(()),
        }
    }
}

/// The address in `url`'s host, if it is one.
pub fn literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(a) => Some(IpAddr::V4(a)),
        Host::Ipv6(a) => Some(IpAddr::V6(a)),
        Host::Domain(_) => None,
    }
}

/// What kind of non-public address `ip` is, if it is one.
pub fn forbidden(ip: IpAddr) -> Option<AddressKind> {
    match ip {
        IpAddr::V4(a) => forbidden_v4(a),
        IpAddr::V6(a) => forbidden_v6(a),
    }
}

fn forbidden_v4(a: Ipv4Addr) -> Option<AddressKind> {
    use AddressKind as K;
    let [o1, o2, ..] = a.octets();
    Some(match () {
        _ if a.is_unspecified() || o1 == 0 => K::Unspecified,
        _ if a.is_loopback() => K::Loopback,
        _ if a.is_private() => K::Private,
        _ if a.is_link_local() => K::LinkLocal,
        _ if o1 == 100 && (64..128).contains(&o2) => K::Shared,
        _ if o1 == 198 && (o2 == 18 || o2 == 19) => K::Benchmarking,
        _ if o1 == 192 && o2 == 0 && a.octets()[2] == 0 => K::IetfProtocol,
        _ if a.is_multicast() => K::Multicast,
        _ if a.is_broadcast() || o1 >= 240 => K::Reserved,
        _ => return None,
    })
}

fn forbidden_v6(a: Ipv6Addr) -> Option<AddressKind> {
    use AddressKind as K;
    let s = a.segments();
    // A v4 address inside a v6 one: mapped, compatible, NAT64, 6to4.
    let embedded = if let Some(v4) = a.to_ipv4_mapped() {
        Some(v4)
    } else if s[..6] == [0, 0, 0, 0, 0, 0] && !a.is_loopback() && !a.is_unspecified() {
        a.to_ipv4()
    } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let o = a.octets();
        Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]))
    } else if s[0] == 0x2002 {
        let o = a.octets();
        Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]))
    } else {
        None
    };
    if let Some(v4) = embedded {
        return forbidden_v4(v4);
    }
    Some(match () {
        _ if a.is_unspecified() => K::Unspecified,
        _ if a.is_loopback() => K::Loopback,
        _ if s[0] & 0xffc0 == 0xfe80 => K::LinkLocal,
        _ if s[0] & 0xffc0 == 0xfec0 => K::SiteLocal,
        _ if s[0] & 0xfe00 == 0xfc00 => K::UniqueLocal,
        _ if a.is_multicast() => K::Multicast,
        _ if s[0] == 0x2001 && s[1] == 0x0db8 => K::Documentation,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_non_public_address_is_refused() {
        let f = UriFilter::default();
        for uri in [
            "http://127.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://0/",
            "http://0.0.0.0/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[2002:7f00:1::]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::]/",
            "http://[ff02::1]/",
        ] {
            assert!(f.check(uri).is_err(), "{uri} passed");
        }
        for uri in [
            "http://93.184.215.14/",
            "https://images.example.org/cirros.img",
            "http://[2606:4700::1111]/",
        ] {
            assert!(f.check(uri).is_ok(), "{uri}: {:?}", f.check(uri));
        }
    }

    #[test]
    fn glance_lists_decide_schemes_hosts_and_ports() {
        let f = UriFilter::default();
        for (uri, why) in [
            ("ftp://example.org/x", "scheme"),
            ("file:///etc/passwd", "scheme"),
            ("http://example.org:8080/x", "port 8080"),
            ("http://user:pw@example.org/x", "credentials"),
            ("not a uri", "parsed"),
        ] {
            let e = f.check(uri).unwrap_err().to_string();
            assert!(e.contains(why), "{uri}: {e}");
        }
        let deny = UriFilter {
            disallowed_hosts: vec!["bad.example".into()],
            ..UriFilter::default()
        };
        assert!(deny
            .check("http://bad.example/x")
            .unwrap_err()
            .to_string()
            .contains("host"));
        assert!(deny.check("http://good.example/x").is_ok());
        // Allowing a host by name opens its address too, deliberately; other hosts stay shut.
        let open = UriFilter {
            allowed_hosts: vec!["127.0.0.1".into()],
            allowed_ports: vec![],
            ..UriFilter::default()
        };
        assert!(open.check("http://127.0.0.1:8000/x").is_ok());
        assert!(
            open.check("http://2130706433:8000/x").is_ok(),
            "the same host, spelt otherwise"
        );
        assert!(open.check("http://[::1]:8000/x").is_err());
        assert!(open.check("http://example.org/x").is_err());
    }
}
