//! web-download's fetcher: opens a URI for streaming after the [`UriFilter`] allows it. A name is
//! resolved once, every address it gives is checked, and the connection goes to the checked
//! address (no second lookup an attacker could answer differently); proxies from the
//! environment are not used. Redirects are followed here, each target checked the same way, up
//! to the filter's cap. Connecting and every wait for more data are bounded.

use crate::domain::uri_filter::{literal, UriFilter, UriProblem};
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use std::net::SocketAddr;
use std::time::Duration;
use url::Url;

/// Opens web-download sources.
#[derive(Debug, Clone)]
pub struct Fetcher {
    filter: UriFilter,
    connect_timeout: Duration,
    idle_timeout: Duration,
}

/// An opened source: its body as a stream, and its length when the server said it.
pub struct Source {
    /// The body.
    pub body: BoxStream<'static, Result<Bytes, String>>,
    /// `Content-Length`, if given.
    pub length: Option<u64>,
}

/// Why a source could not be opened: refused by the filter (the API's 400), or it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The URI, or where it leads, is not allowed.
    Refused(UriProblem),
    /// The source failed.
    Failed(String),
}

impl Fetcher {
    /// A fetcher with `filter`, giving up on connecting after `connect_timeout` and on a source
    /// that sends nothing for `idle_timeout`.
    pub fn new(filter: UriFilter, connect_timeout: Duration, idle_timeout: Duration) -> Fetcher {
        Fetcher {
            filter,
            connect_timeout,
            idle_timeout,
        }
    }

    /// The filter (for checking a URI when an import is asked for).
    pub fn filter(&self) -> &UriFilter {
        &self.filter
    }

    /// Checks `uri` and the addresses its host resolves to; returns the URL and the address to
    /// connect to.
    pub async fn check(&self, uri: &Url) -> Result<SocketAddr, FetchError> {
        self.filter.check_url(uri).map_err(FetchError::Refused)?;
        let port = uri
            .port_or_known_default()
            .ok_or(FetchError::Refused(UriProblem::NoPort))?;
        if let Some(ip) = literal(uri) {
            return Ok(SocketAddr::new(ip, port));
        }
        let host = uri
            .host_str()
            .ok_or(FetchError::Refused(UriProblem::NoHost))?;
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| FetchError::Failed(format!("the host {host} cannot be resolved ({e})")))?
            .collect();
        if addrs.is_empty() {
            return Err(FetchError::Failed(format!(
                "the host {host} has no address"
            )));
        }
        // Every address must pass: a name that also resolves inside is refused outright.
        for a in &addrs {
            self.filter.check_address(uri, a.ip()).map_err(|kind| {
                FetchError::Refused(UriProblem::ResolvesTo {
                    host: host.to_string(),
                    address: a.ip().to_string(),
                    kind,
                })
            })?;
        }
        Ok(addrs[0])
    }

    /// Opens `uri` for reading, following checked redirects.
    pub async fn open(&self, uri: &str) -> Result<Source, FetchError> {
        let mut url = self.filter.check(uri).map_err(FetchError::Refused)?;
        let mut hops = 0u8;
        loop {
            let addr = self.check(&url).await?;
            let mut client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .connect_timeout(self.connect_timeout)
                .read_timeout(self.idle_timeout)
                .user_agent(concat!("glimpse/", env!("CARGO_PKG_VERSION")));
            if let Some(host) = url.host_str().filter(|_| literal(&url).is_none()) {
                client = client.resolve(host, addr);
            }
            let client = client
                .build()
                .map_err(|e| FetchError::Failed(format!("cannot start a client ({e})")))?;
            let resp = client
                .get(url.clone())
                .send()
                .await
                .map_err(|e| FetchError::Failed(describe(&e)))?;
            let status = resp.status();
            if status.is_redirection() {
                let to = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        FetchError::Failed(format!("the source answered {status} with no Location"))
                    })?;
                hops += 1;
                if hops > self.filter.max_redirects {
                    return Err(FetchError::Failed(format!(
                        "more than {} redirects",
                        self.filter.max_redirects
                    )));
                }
                url = url
                    .join(to)
                    .map_err(|e| FetchError::Refused(UriProblem::BadRedirect(e.to_string())))?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Failed(format!("the source answered {status}")));
            }
            let length = resp.content_length();
            let body = resp
                .bytes_stream()
                .map(|r| r.map_err(|e| describe(&e)))
                .boxed();
            return Ok(Source { body, length });
        }
    }
}

/// A transfer error in words, with its cause (reqwest's own text stops at "error sending request").
fn describe(e: &reqwest::Error) -> String {
    let mut out = if e.is_timeout() {
        "the source timed out".to_string()
    } else if e.is_connect() {
        "cannot connect to the source".to_string()
    } else {
        "the transfer failed".to_string()
    };
    let mut cause = std::error::Error::source(e);
    let mut last = None;
    while let Some(c) = cause {
        last = Some(c.to_string());
        cause = c.source();
    }
    if let Some(c) = last {
        out.push_str(&format!(" ({c})"));
    }
    out
}
