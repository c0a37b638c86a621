//! HTTP fetching for status sources: timeouts, a body cap, a safe redirect policy, conditional GET, and error classes.

use std::error::Error as _;
use std::time::{Duration, Instant};

use reqwest::header::{
    ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use url::Url;

use crate::model::ErrorClass;

/// Most redirects a fetch follows before calling it a loop.
pub const MAX_REDIRECTS: usize = 5;

/// Validators from a previous response, sent back for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

#[derive(Debug)]
pub enum FetchOutcome {
    Fresh {
        body: Vec<u8>,
        status: u16,
        validators: Validators,
        latency: Duration,
        /// Where the answer came from after redirects.
        url: Url,
    },
    /// 304: what we had is still current.
    NotModified { latency: Duration },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    pub class: ErrorClass,
    pub message: String,
    pub http_status: Option<u16>,
    pub latency: Duration,
    /// The page answered, but as a page that moved or keeps us out would.
    pub gate: Option<Gate>,
}

/// Why a page that answered is not one we can read. Neither is an outage:
/// the provider is `unknown`, with words a user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// A redirect to another host that then failed, or an HTML page where
    /// JSON or a feed was expected: the status page changed address or platform.
    Moved,
    /// A 403 from a bot wall or a browser challenge: only browsers get in.
    RefusesBots,
}

impl Gate {
    pub fn says(self) -> &'static str {
        match self {
            Gate::Moved => "the page seems to have moved",
            Gate::RefusesBots => "the page refuses non-browser clients",
        }
    }
}

/// How much of a refused answer is read to tell a bot wall from a plain error.
const SNIFF_CAP: usize = 16 * 1024;

/// Words that browser challenges and bot walls put in their pages
/// (Cloudflare, DDoS-Guard, Imperva, PerimeterX, AWS WAF, Vercel), lower-case.
const CHALLENGE_MARKS: &[&str] = &[
    "cf-challenge",
    "challenge-platform",
    "cf_chl_",
    "<title>just a moment",
    "attention required! | cloudflare",
    "enable javascript and cookies to continue",
    "ddos-guard",
    "_incapsula_resource",
    "px-captcha",
    "awswaf",
    "vercel security checkpoint",
    "g-recaptcha",
    "h-captcha",
];

/// What a body says about the page: a browser challenge, or an HTML page
/// (never a status document of any format Weathervane reads).
pub fn sniff_gate(body: &[u8]) -> Option<Gate> {
    let head = &body[..body.len().min(SNIFF_CAP)];
    let text = String::from_utf8_lossy(head).to_lowercase();
    if CHALLENGE_MARKS.iter().any(|m| text.contains(m)) {
        return Some(Gate::RefusesBots);
    }
    let start = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    (start.starts_with("<!doctype html") || start.starts_with("<html")).then_some(Gate::Moved)
}

/// A redirect ended on another host than the one asked for.
pub fn changed_host(asked: &Url, answered: &Url) -> bool {
    asked.host_str().map(str::to_ascii_lowercase)
        != answered.host_str().map(str::to_ascii_lowercase)
        || asked.port_or_known_default() != answered.port_or_known_default()
}

impl FetchError {
    /// Could this failure be the user's own network rather than the provider?
    pub fn is_network(&self) -> bool {
        matches!(
            self.class,
            ErrorClass::Dns | ErrorClass::Connect | ErrorClass::Timeout
        )
    }
}

/// A shared HTTP client: one connection pool for every provider.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    /// For probes: follows no redirect, so a key header never travels to a
    /// host the user did not name (reqwest strips only `authorization` on
    /// cross-host redirects, not `x-api-key`).
    probe_client: reqwest::Client,
    max_body: u64,
    timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot set up the HTTP client: {0}")]
pub struct ClientError(String);

/// Install the TLS crypto provider once per process (reqwest is built without a default one).
fn ensure_crypto_provider() {
    // Err means another part of the process installed one already: fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    pub fn new(timeout: Duration, max_body: u64) -> Result<Fetcher, ClientError> {
        ensure_crypto_provider();
        let policy = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error(RedirectRefused(format!(
                    "more than {MAX_REDIRECTS} redirects (a redirect loop?)"
                )));
            }
            let verdict = match attempt.previous().first() {
                Some(origin) => redirect_allowed(origin, attempt.url()),
                None => Ok(()),
            };
            match verdict {
                Ok(()) => attempt.follow(),
                Err(why) => attempt.error(RedirectRefused(why)),
            }
        });
        // https is enforced per URL and per redirect (to allow loopback http), so the
        // clients themselves accept both.
        let client = |policy, idle_per_host| {
            reqwest::Client::builder()
                .user_agent(concat!(
                    "weathervane/",
                    env!("CARGO_PKG_VERSION"),
                    " (+status watcher)"
                ))
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .redirect(policy)
                .pool_idle_timeout(Duration::from_secs(90))
                .pool_max_idle_per_host(idle_per_host)
                .https_only(false)
                .build()
                .map_err(|e| ClientError(e.to_string()))
        };
        let probe_client = client(reqwest::redirect::Policy::none(), 1)?;
        let client = client(policy, 2)?;
        Ok(Fetcher {
            client,
            probe_client,
            max_body,
            timeout,
        })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// GET `url`, conditionally when validators are given; never reads more than the body cap.
    #[tracing::instrument(skip(self, validators), fields(url = %url))]
    pub async fn get(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let started = Instant::now();
        let fail = |class, message: String, http_status| FetchError {
            gate: None,
            class,
            message,
            http_status,
            latency: started.elapsed(),
        };
        if !allowed_scheme(url) {
            return Err(fail(
                ErrorClass::InsecureUrl,
                format!("{url} is not https; refusing to fetch"),
                None,
            ));
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json, application/rss+xml, application/atom+xml, text/xml;q=0.9, */*;q=0.5"),
        );
        if let Some(v) = validators
            .etag
            .as_deref()
            .and_then(|e| HeaderValue::from_str(e).ok())
        {
            headers.insert(IF_NONE_MATCH, v);
        }
        if let Some(v) = validators
            .last_modified
            .as_deref()
            .and_then(|e| HeaderValue::from_str(e).ok())
        {
            headers.insert(IF_MODIFIED_SINCE, v);
        }
        let mut resp = self
            .client
            .get(url.clone())
            .headers(headers)
            .send()
            .await
            .map_err(|e| {
                let (class, message) = classify(&e, self.timeout);
                fail(class, message, None)
            })?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified {
                latency: started.elapsed(),
            });
        }
        let answered = resp.url().clone();
        let moved = changed_host(url, &answered);
        if !status.is_success() {
            // Read a little of the refusal: a challenge page says what it is.
            let mut head = Vec::new();
            while head.len() < SNIFF_CAP {
                match resp.chunk().await {
                    Ok(Some(c)) => head.extend_from_slice(&c),
                    _ => break,
                }
            }
            let challenge = sniff_gate(&head) == Some(Gate::RefusesBots);
            let gate = if status == reqwest::StatusCode::FORBIDDEN || challenge {
                Some(Gate::RefusesBots)
            } else if moved {
                Some(Gate::Moved)
            } else {
                None
            };
            let mut message = format!("HTTP {status}");
            if moved {
                message.push_str(&format!(
                    " from {} (redirected from {})",
                    answered.host_str().unwrap_or("?"),
                    url.host_str().unwrap_or("?")
                ));
            }
            let mut e = fail(ErrorClass::HttpStatus, message, Some(status.as_u16()));
            e.gate = gate;
            return Err(e);
        }
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let new_validators = Validators {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
        };
        let too_large = |n: u64| {
            format!(
                "response is larger than the {} cap ({}{} bytes)",
                human_bytes(self.max_body),
                if n > self.max_body { "" } else { "over " },
                n
            )
        };
        if let Some(len) = resp.content_length()
            && len > self.max_body
        {
            return Err(fail(
                ErrorClass::TooLarge,
                too_large(len),
                Some(status.as_u16()),
            ));
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > self.max_body {
                        return Err(fail(
                            ErrorClass::TooLarge,
                            too_large(self.max_body),
                            Some(status.as_u16()),
                        ));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let (class, message) = classify(&e, self.timeout);
                    return Err(fail(class, message, Some(status.as_u16())));
                }
            }
        }
        Ok(FetchOutcome::Fresh {
            body,
            status: status.as_u16(),
            validators: new_validators,
            latency: started.elapsed(),
            url: answered,
        })
    }
}

impl Fetcher {
    /// One probe request: GET with the given headers. Any HTTP answer is `Ok`
    /// (the caller classifies the status); the body is read up to `cap` and
    /// dropped, so a model list costs no memory. Latency is measured on tokio's
    /// clock (to the response headers), so tests with a paused clock see the
    /// fake server's virtual delays.
    #[tracing::instrument(skip(self, headers), fields(url = %url))]
    pub async fn probe(
        &self,
        url: &Url,
        headers: &[(String, String)],
        cap: u64,
    ) -> Result<ProbeAnswer, FetchError> {
        let started = tokio::time::Instant::now();
        let fail = |class, message: String, http_status| FetchError {
            gate: None,
            class,
            message,
            http_status,
            latency: started.elapsed(),
        };
        if !allowed_scheme(url) {
            return Err(fail(
                ErrorClass::InsecureUrl,
                format!("{url} is not https; refusing to probe"),
                None,
            ));
        }
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes()).map_err(|e| {
                fail(
                    ErrorClass::Other,
                    format!("bad header name {k:?}: {e}"),
                    None,
                )
            })?;
            let mut value = HeaderValue::from_str(v)
                .map_err(|_| fail(ErrorClass::Other, format!("bad value for header {k}"), None))?;
            value.set_sensitive(true);
            map.insert(name, value);
        }
        let mut resp = self
            .probe_client
            .get(url.clone())
            .headers(map)
            .send()
            .await
            .map_err(|e| {
                let (class, message) = classify(&e, self.timeout);
                fail(class, message, None)
            })?;
        let latency = started.elapsed();
        let status = resp.status().as_u16();
        let mut read: u64 = 0;
        while read < cap {
            match resp.chunk().await {
                Ok(Some(c)) => read += c.len() as u64,
                Ok(None) => break,
                Err(e) => {
                    let (class, message) = classify(&e, self.timeout);
                    return Err(fail(class, message, Some(status)));
                }
            }
        }
        Ok(ProbeAnswer { status, latency })
    }
}

/// A probe's HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeAnswer {
    pub status: u16,
    /// Time to the response headers.
    pub latency: Duration,
}

/// https anywhere, plain http only on loopback (the config's rule, checked again per request).
fn allowed_scheme(url: &Url) -> bool {
    url.scheme() == "https" || (url.scheme() == "http" && is_loopback_host(url))
}

#[derive(Debug)]
struct RedirectRefused(String);
impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for RedirectRefused {}

fn human_bytes(n: u64) -> String {
    if n >= 1024 * 1024 && n.is_multiple_of(1024 * 1024) {
        format!("{} MiB", n / (1024 * 1024))
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} B")
    }
}

/// Map a reqwest error to a class and a sentence, looking through its causes.
fn classify(e: &reqwest::Error, timeout: Duration) -> (ErrorClass, String) {
    let chain = {
        let mut parts = Vec::new();
        let mut cur: Option<&dyn std::error::Error> = e.source();
        while let Some(c) = cur {
            parts.push(c.to_string());
            cur = c.source();
        }
        parts.join(": ").to_lowercase()
    };
    if e.is_redirect() {
        if let Some(r) = find_source::<RedirectRefused>(e) {
            return (ErrorClass::Redirect, r.0.clone());
        }
        return (ErrorClass::Redirect, format!("redirect failed: {chain}"));
    }
    if e.is_timeout() || chain.contains("timed out") || chain.contains("deadline") {
        return (
            ErrorClass::Timeout,
            format!("no complete answer within {} s", timeout.as_secs_f32()),
        );
    }
    // Matched on the resolver's own words, not on "dns" anywhere: a cause can quote a host
    // or certificate name that contains it.
    if chain.contains("dns error")
        || chain.contains("error resolving")
        || chain.contains("failed to lookup")
        || chain.contains("name or service not known")
        || chain.contains("temporary failure in name resolution")
    {
        // The chain says it three times ("dns error: error resolving dns: failed to
        // lookup..."): say it once, in words.
        return (
            ErrorClass::Dns,
            "cannot resolve the host name (DNS lookup failed)".into(),
        );
    }
    if chain.contains("invalid peer certificate") {
        let detail = chain
            .split("invalid peer certificate: ")
            .nth(1)
            .unwrap_or("")
            .to_string();
        return (
            ErrorClass::Tls,
            format!(
                "TLS error: the server's certificate is not trusted (self-signed, expired, or for another name: {detail})"
            ),
        );
    }
    if chain.contains("certificate")
        || chain.contains("tls")
        || chain.contains("handshake")
        || chain.contains("invalidcontenttype")
    {
        return (ErrorClass::Tls, format!("TLS error: {chain}"));
    }
    if e.is_connect() || chain.contains("connection refused") || chain.contains("connect") {
        return (ErrorClass::Connect, format!("cannot connect: {chain}"));
    }
    if e.is_decode() || e.is_body() {
        return (
            ErrorClass::Other,
            format!("the response broke off or could not be decoded: {chain}"),
        );
    }
    (
        ErrorClass::Other,
        if chain.is_empty() {
            e.to_string()
        } else {
            chain
        },
    )
}

fn find_source<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(t) = c.downcast_ref::<T>() {
            return Some(t);
        }
        cur = c.source();
    }
    None
}

/// An address a page on the internet has no business sending us to: this machine, the
/// local network, or any range in IANA's special-purpose registries (RFC 6890 and its
/// updates). Literals are normalised first, so an IPv4 address hidden in an IPv6 one
/// (`[::ffff:169.254.169.254]`, NAT64 `[64:ff9b::a9fe:a9fe]`, IPv4-compatible `[::a9fe:a9fe]`)
/// is judged as the IPv4 address it reaches. Host names are not resolved here: a name that
/// resolves to an internal address is a DNS matter (SECURITY.md says so).
fn is_internal_ip(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => is_special_v4(ip),
        Some(url::Host::Ipv6(ip)) => is_special_ip(std::net::IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) => is_localhost_name(d),
        None => false,
    }
}

/// `localhost` and anything under it (RFC 6761 reserves the whole `.localhost` tree for
/// loopback).
fn is_localhost_name(d: &str) -> bool {
    let d = d.trim_end_matches('.');
    d.eq_ignore_ascii_case("localhost")
        || d.len() > ".localhost".len()
            && d[d.len() - ".localhost".len()..].eq_ignore_ascii_case(".localhost")
}

/// Is `ip` (after normalisation) in a special-purpose, private, multicast or reserved range?
pub fn is_special_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => is_special_v4(v4),
        std::net::IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_special_v4(v4),
            None => is_special_v6(v6),
        },
    }
}

/// The IPv4 address an IPv6 literal stands for, where it stands for one: IPv4-mapped
/// (`::ffff:0:0/96`), IPv4-compatible (`::/96`, deprecated but still routed by some stacks)
/// and the NAT64 well-known prefix (`64:ff9b::/96`), which a NAT64 gateway forwards to
/// that IPv4 address.
fn embedded_v4(ip: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let v4 = || {
        let o = ip.octets();
        std::net::Ipv4Addr::new(o[12], o[13], o[14], o[15])
    };
    // `::` and `::1` are IPv6's own unspecified and loopback addresses, not IPv4 ones;
    // `::x.x.x.x` above them is IPv4-compatible.
    if s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1) {
        return Some(v4());
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(v4());
    }
    None
}

fn in_v4(ip: std::net::Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(ip) & mask == u32::from(std::net::Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: std::net::Ipv6Addr, net: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    u128::from(ip) & mask == u128::from(std::net::Ipv6Addr::from(net)) & mask
}

/// IANA IPv4 Special-Purpose Address Registry, plus multicast. Every entry is refused,
/// the few "globally reachable" ones (AS112, AMT, anycast relays) included: no status
/// page lives there, and a short complete list is easier to check than a judged one.
const SPECIAL_V4: &[([u8; 4], u32)] = &[
    ([0, 0, 0, 0], 8),       // "this network" (RFC 791); 0.0.0.0 reaches this machine
    ([10, 0, 0, 0], 8),      // private (RFC 1918)
    ([100, 64, 0, 0], 10),   // shared address space, carrier-grade NAT (RFC 6598)
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link local, cloud metadata services
    ([172, 16, 0, 0], 12),   // private (RFC 1918)
    ([192, 0, 0, 0], 24),    // IETF protocol assignments (RFC 6890)
    ([192, 0, 2, 0], 24),    // documentation TEST-NET-1
    ([192, 31, 196, 0], 24), // AS112-v4
    ([192, 52, 193, 0], 24), // AMT
    ([192, 88, 99, 0], 24),  // deprecated 6to4 relay anycast
    ([192, 168, 0, 0], 16),  // private (RFC 1918)
    ([192, 175, 48, 0], 24), // direct delegation AS112
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation TEST-NET-2
    ([203, 0, 113, 0], 24),  // documentation TEST-NET-3
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, and 255.255.255.255 broadcast
];

/// IANA IPv6 Special-Purpose Address Registry, plus multicast and the old site-local
/// range. The prefixes that embed an IPv4 address are judged by that address first
/// (`embedded_v4`); what is left of them here is refused as a whole.
const SPECIAL_V6: &[([u16; 8], u32)] = &[
    ([0, 0, 0, 0, 0, 0, 0, 0], 96),          // ::, ::1, IPv4-compatible
    ([0, 0, 0, 0, 0, 0xffff, 0, 0], 96),     // IPv4-mapped
    ([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96),  // NAT64 well-known prefix
    ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),  // NAT64 local use
    ([0x100, 0, 0, 0, 0, 0, 0, 0], 64),      // discard only
    ([0x100, 0, 0, 1, 0, 0, 0, 0], 64),      // dummy prefix
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),     // IETF protocol assignments (Teredo, ORCHID…)
    ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
    ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16),     // 6to4 (embeds an IPv4 address)
    ([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48), // direct delegation AS112
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),     // documentation
    ([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16),     // segment routing SIDs
    ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7),      // unique local
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),     // link local
    ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10),     // site local (deprecated)
    ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8),      // multicast
];

fn is_special_v4(ip: std::net::Ipv4Addr) -> bool {
    SPECIAL_V4.iter().any(|&(net, p)| in_v4(ip, net, p))
}

fn is_special_v6(ip: std::net::Ipv6Addr) -> bool {
    SPECIAL_V6.iter().any(|&(net, p)| in_v6(ip, net, p))
}

/// The redirect policy (SECURITY.md): https to any public host is followed (status pages
/// move: status.anthropic.com redirects to status.claude.com); nothing may downgrade to
/// plain http except a loopback test server within loopback; and a page on the internet
/// may not send us to this machine or the local network by address.
pub fn redirect_allowed(origin: &Url, next: &Url) -> Result<(), String> {
    let from_loopback = is_loopback_host(origin);
    match next.scheme() {
        "https" if from_loopback || !is_internal_ip(next) => Ok(()),
        "https" => Err(format!(
            "refused a redirect from {} to {next} (a local or private address)",
            origin.host_str().unwrap_or("?")
        )),
        "http" if from_loopback && is_loopback_host(next) => Ok(()),
        _ => Err(format!("refused a redirect to {next} (not https)")),
    }
}

/// Is this host on the loopback interface (the only place plain http is allowed)?
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        // `[::ffff:127.0.0.1]` is loopback too: judged as the address it reaches.
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// A source URL: https anywhere, plain http only on loopback.
pub fn parse_source_url(s: &str) -> Result<Url, String> {
    let url = match Url::parse(s.trim()) {
        Ok(url) => url,
        // The url crate's message never quotes the input, so nothing secret leaks here;
        // the input itself is quoted only once we know it holds no credentials.
        Err(e) => return Err(format!("{:?} is not a URL: {e}", redact_userinfo(s))),
    };
    if !url.username().is_empty() || url.password().is_some() {
        // A password in the config would be printed by `providers`, quoted in reasons and
        // logs, and stored in the database with every observation.
        return Err(format!(
            "{} holds a user name or password; status pages are public, and a secret in this \
             file would be shown and stored. Remove the `user:password@` part",
            redact(&url)
        ));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback_host(&url) => Ok(url),
        "http" => Err(format!(
            "{s:?} uses plain http; only https is allowed (http only for 127.0.0.1/localhost)"
        )),
        other => Err(format!(
            "{s:?}: scheme {other:?} is not supported; use https"
        )),
    }
}

/// The URL with any user name and password replaced by `***`, for messages.
pub fn redact(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut u = url.clone();
    // Setting credentials fails only on URLs that cannot have them (no host), which have
    // none to hide.
    let _ = u.set_username("***");
    let _ = u.set_password(None);
    u.to_string()
}

/// Text that may be a URL with credentials, for a message when it did not parse.
fn redact_userinfo(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once("://") else {
        return s.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_policy() {
        let u = |s: &str| Url::parse(s).unwrap();
        let page = u("https://status.anthropic.com/api/v2/summary.json");
        // Pages move between public hosts: followed.
        assert!(
            redirect_allowed(&page, &u("https://status.claude.com/api/v2/summary.json")).is_ok()
        );
        // Never down to plain http, never into this machine or the local network.
        for bad in [
            "http://status.claude.com/",
            "https://127.0.0.1/",
            "https://localhost:8443/",
            "https://10.0.0.5/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "ftp://status.claude.com/",
        ] {
            assert!(redirect_allowed(&page, &u(bad)).is_err(), "{bad}");
        }
        // A loopback test server may redirect within loopback, over http too.
        let local = u("http://127.0.0.1:9000/a");
        assert!(redirect_allowed(&local, &u("http://127.0.0.1:9000/b")).is_ok());
        assert!(redirect_allowed(&local, &u("https://127.0.0.1:9001/b")).is_ok());
        assert!(redirect_allowed(&local, &u("http://example.com/")).is_err());
    }

    /// Every range of both IANA special-purpose registries, at its first and last address,
    /// and the IPv4 ones again hidden in IPv6 literals, are refused as redirect targets;
    /// their public neighbours are not.
    #[test]
    fn every_special_purpose_range_is_refused_and_its_neighbours_are_not() {
        let page = Url::parse("https://status.example.com/").unwrap();
        let refused = |host: String| {
            let next = Url::parse(&format!("https://{host}/latest/meta-data/")).unwrap();
            redirect_allowed(&page, &next).is_err()
        };
        for &(net, prefix) in SPECIAL_V4 {
            let first = u32::from(std::net::Ipv4Addr::from(net));
            let last = first | (u32::MAX.checked_shr(prefix).unwrap_or(0));
            for ip in [first, last].map(std::net::Ipv4Addr::from) {
                assert!(refused(ip.to_string()), "{ip}");
                assert!(refused(format!("[{}]", ip.to_ipv6_mapped())), "mapped {ip}");
                assert!(refused(format!("[::ffff:{ip}]")), "mapped {ip}");
                let o = ip.octets();
                let nat64 = format!(
                    "[64:ff9b::{:x}:{:x}]",
                    u16::from_be_bytes([o[0], o[1]]),
                    u16::from_be_bytes([o[2], o[3]])
                );
                assert!(refused(nat64.clone()), "{nat64}");
            }
        }
        for &(net, prefix) in SPECIAL_V6 {
            let first = u128::from(std::net::Ipv6Addr::from(net));
            let last = first | (u128::MAX.checked_shr(prefix).unwrap_or(0));
            for ip in [first, last].map(std::net::Ipv6Addr::from) {
                assert!(refused(format!("[{ip}]")), "{ip}");
            }
        }
        // The literals of the report, spelled as an attacker would.
        for host in [
            "[::ffff:169.254.169.254]",
            "[::ffff:127.0.0.1]",
            "[::ffff:10.0.0.1]",
            "[::ffff:a9fe:a9fe]",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "0.1.2.3",
            "0x7f.1",
            "2130706433",
            "[::169.254.169.254]",
            "localhost.",
            "metadata.localhost",
        ] {
            assert!(refused(host.to_string()), "{host}");
        }
        for host in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "11.0.0.1",
            "172.32.0.1",
            "192.0.3.1",
            "198.20.0.1",
            "223.255.255.254",
            "[::ffff:1.1.1.1]",
            "[64:ff9b::808:808]",
            "[2606:4700::1111]",
            "[2a00:1450::1]",
            "status.claude.com",
            "localhost.example.com",
        ] {
            assert!(!refused(host.to_string()), "{host}");
        }
    }

    #[test]
    fn credentials_in_a_source_url_are_refused_and_never_quoted() {
        for s in [
            "https://user:hunter2@status.example.com/",
            "https://user@status.example.com/",
            "https://:hunter2@status.example.com/",
            "http://user:hunter2@127.0.0.1:9/",
        ] {
            let e = parse_source_url(s).unwrap_err();
            assert!(e.contains("user name or password"), "{s}: {e}");
            assert!(!e.contains("hunter2"), "{s}: {e}");
        }
        // Unparseable text is quoted without what looks like a password.
        let e = parse_source_url("https://user:hunter2@exa mple.com/").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn human_bytes_reads_well() {
        assert_eq!(human_bytes(4 * 1024 * 1024), "4 MiB");
        assert_eq!(human_bytes(2048), "2 KiB");
        assert_eq!(human_bytes(1000), "1000 B");
    }

    #[tokio::test]
    async fn refuses_plain_http_to_the_internet_without_connecting() {
        let f = Fetcher::new(Duration::from_secs(1), 1024).unwrap();
        let url = Url::parse("http://status.example.com/api").unwrap();
        let e = f.get(&url, &Validators::default()).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::InsecureUrl);
    }

    /// `.invalid` never resolves (RFC 6761), so the resolver's refusal is real, offline
    /// or not. A refused connection stays a connect failure even when its URL says "dns".
    #[tokio::test]
    async fn a_name_that_cannot_resolve_is_dns_and_nothing_else_is() {
        let f = Fetcher::new(Duration::from_secs(20), 1024).unwrap();
        let url = Url::parse("https://weathervane-test.invalid/api/v2/summary.json").unwrap();
        let e = f.get(&url, &Validators::default()).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Dns, "{}", e.message);
        assert_eq!(
            e.message,
            "cannot resolve the host name (DNS lookup failed)"
        );

        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        let url = Url::parse(&format!("http://127.0.0.1:{port}/dns/status")).unwrap();
        let e = f.get(&url, &Validators::default()).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Connect, "{}", e.message);
    }
}
