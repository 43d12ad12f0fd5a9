//! Why a web-download's URI is refused: the words of `uri_filter`'s checks as data, so that they
//! cross to the dashboard typed and are worded there in the user's language.

use serde::{Deserialize, Serialize};

/// Why a URI is refused (typed, so the dashboard words it in the user's language; `Display`
/// gives the API's words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum UriProblem {
    /// Not a URI (the parser's words).
    #[error("the URI cannot be parsed ({0})")]
    Unparsable(String),
    /// Neither http nor https.
    #[error("the scheme {0} is not supported")]
    SchemeUnsupported(String),
    /// A scheme the settings refuse.
    #[error("the scheme {0} is not allowed")]
    SchemeNotAllowed(String),
    /// A user name or password in the URI.
    #[error("credentials in the URI are not allowed")]
    Credentials,
    /// No host.
    #[error("the URI has no host")]
    NoHost,
    /// A host the settings refuse.
    #[error("the host {0} is not allowed")]
    HostNotAllowed(String),
    /// No port, and none known for the scheme.
    #[error("the URI has no port")]
    NoPort,
    /// A port the settings refuse.
    #[error("the port {0} is not allowed")]
    PortNotAllowed(u16),
    /// A non-public address.
    #[error("{address} is a {kind} address")]
    Address { address: String, kind: AddressKind },
    /// A host name that resolves to a non-public address.
    #[error("{host} resolves to {address}, a {kind} address")]
    ResolvesTo {
        host: String,
        address: String,
        kind: AddressKind,
    },
    /// A redirect whose target is not a URI.
    #[error("a redirect cannot be parsed ({0})")]
    BadRedirect(String),
}

/// The kinds of non-public addresses no import may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AddressKind {
    #[error("unspecified")]
    Unspecified,
    #[error("loopback")]
    Loopback,
    #[error("private")]
    Private,
    #[error("link-local")]
    LinkLocal,
    #[error("shared (carrier-grade NAT)")]
    Shared,
    #[error("benchmarking")]
    Benchmarking,
    #[error("IETF protocol")]
    IetfProtocol,
    #[error("multicast")]
    Multicast,
    #[error("reserved")]
    Reserved,
    #[error("site-local")]
    SiteLocal,
    #[error("private (unique local)")]
    UniqueLocal,
    #[error("documentation")]
    Documentation,
}
