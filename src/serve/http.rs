//! HTTP: axum routes for the site, the live-reload event stream and its
//! script. The site is a map in memory, so a request can only ever name an
//! output of the site: paths are percent-decoded, then refused if any part
//! is `..` or `.`, holds a NUL or a backslash; copied files are read only
//! when they still resolve inside the site root.

use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::Stream;
use tokio::sync::broadcast;

use super::store::{Body, Entry, url_path};
use super::{Event, Phase, Shared};
use crate::incremental::Produced;
use crate::incremental::on_demand::OnDemandSite;

/// Where the server's own files live; no site output can be there.
pub const PREFIX: &str = "/__marginalia/";

/// Sent with every page of the site: `partial` when it was rendered from
/// phase one before the whole site was built (its bytes are the whole
/// site's, but the site's errors may not all be known yet), `complete`
/// otherwise.
pub const SITE_HEADER: &str = "x-marginalia-site";

/// The live-reload client, injected into every HTML page served.
const LIVE_JS: &str = include_str!("live.js");

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/__marginalia/events", get(events))
        .route("/__marginalia/live.js", get(live_js))
        .fallback(site)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            check_host,
        ))
        .with_state(shared)
}

/// Which `Host:` headers the server answers, against DNS rebinding: a page
/// on a domain that re-resolves to 127.0.0.1 sends its own name as Host,
/// so only names the server knows are its own are answered.
#[derive(Debug, Clone)]
pub struct HostRule {
    port: u16,
    names: Vec<String>,
    /// Bound to every address (`--bind 0.0.0.0`): any IP address literal
    /// is answered (a phone uses the machine's LAN address). A literal
    /// address cannot be rebound; only a DNS name can.
    any_address: bool,
}

impl HostRule {
    pub fn new(bind: std::net::IpAddr, port: u16) -> HostRule {
        let mut names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "[::1]".to_string(),
        ];
        if !bind.is_loopback() && !bind.is_unspecified() {
            names.push(match bind {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                ip => ip.to_string(),
            });
        }
        HostRule {
            port,
            names,
            any_address: bind.is_unspecified(),
        }
    }

    /// Whether a request with this `Host:` value is answered.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let (name, port) = match host.rfind(':') {
            Some(i) if !host[i..].contains(']') => (&host[..i], Some(&host[i + 1..])),
            _ => (host.as_str(), None),
        };
        let port_ok = match port {
            Some(p) => p.parse::<u16>() == Ok(self.port),
            None => self.port == 80,
        };
        let literal = name.parse::<std::net::Ipv4Addr>().is_ok()
            || name
                .strip_prefix('[')
                .and_then(|n| n.strip_suffix(']'))
                .is_some_and(|n| n.parse::<std::net::Ipv6Addr>().is_ok());
        port_ok && (self.names.iter().any(|n| n == name) || (self.any_address && literal))
    }
}

async fn check_host(
    State(shared): State<Arc<Shared>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or("");
    if shared.hosts.allows(host) {
        return next.run(req).await;
    }
    (
        StatusCode::MISDIRECTED_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "This preview server answers only requests for localhost, 127.0.0.1, [::1] or the address it is bound to.\n",
    )
        .into_response()
}

/// A request path made into an output path: percent-decoded, `/`-split,
/// and refused (`None`) when it could name anything outside the site.
/// `index.html` is added to folder paths.
pub fn output_path(raw: &str) -> Option<String> {
    let decoded = crate::url::percent_decode(raw)?;
    if decoded.contains(['\0', '\\']) {
        return None;
    }
    let mut parts = Vec::new();
    for part in decoded.split('/') {
        match part {
            "" => {}
            "." | ".." => return None,
            p => parts.push(p),
        }
    }
    let mut path = parts.join("/");
    if decoded.ends_with('/') || path.is_empty() {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str("index.html");
    }
    Some(path)
}

/// The Content-Type of an output path.
pub fn content_type(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".jsonld") {
        return "application/ld+json".into();
    }
    if lower.ends_with(".xml") && lower.rsplit('/').next() == Some("atom.xml") {
        return "application/atom+xml; charset=utf-8".into();
    }
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let textual = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.subtype().as_str(),
            "javascript" | "json" | "xml" | "svg+xml"
        );
    if textual {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
    }
}

/// What a request resolves to.
enum Found {
    Entry(String, Entry),
    /// `/x` where `/x/` exists.
    Redirect(String),
    Nothing,
}

fn find(shared: &Shared, raw: &str) -> Found {
    let Some(path) = output_path(raw) else {
        return Found::Nothing;
    };
    if let Some(e) = shared.entry(&path) {
        return Found::Entry(path, e);
    }
    if !path.ends_with("index.html") {
        let dir = format!("{path}/index.html");
        if shared.entry(&dir).is_some() {
            // Made from the clean path, so `//host/x` cannot redirect off-site.
            return Found::Redirect(url_path(&dir));
        }
    }
    Found::Nothing
}

async fn site(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "",
        )
            .into_response();
    }
    let raw = uri.path().to_string();
    let query = uri.query().map(str::to_string);
    if let Some(early) = before_ready(&shared, &raw, query.as_deref(), &headers).await {
        return early;
    }
    let s = shared.clone();
    let found = tokio::task::spawn_blocking(move || {
        let found = find(&s, &raw);
        let not_found = match &found {
            Found::Nothing => s.entry("404.html"),
            _ => None,
        };
        (found, not_found)
    })
    .await;
    let Ok((found, not_found)) = found else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match found {
        Found::Entry(path, entry) => {
            respond(&shared, &path, &entry, &headers, StatusCode::OK).await
        }
        Found::Redirect(to) => redirect(to, query.as_deref()),
        Found::Nothing => match not_found {
            Some(e) => {
                respond(
                    &shared,
                    "404.html",
                    &e,
                    &HeaderMap::new(),
                    StatusCode::NOT_FOUND,
                )
                .await
            }
            None => match shared.problems_text() {
                Some(text) => error_page(&text),
                None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
            },
        },
    }
}

fn redirect(mut to: String, query: Option<&str>) -> Response {
    if let Some(q) = query {
        to.push('?');
        to.push_str(q);
    }
    (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)], "").into_response()
}

/// Until the first build is done: a request phase one's site can answer
/// is answered from it, and any other waits for the whole site (phase one
/// first). `None` once the site is ready.
async fn before_ready(
    shared: &Arc<Shared>,
    raw: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Option<Response> {
    let mut phase = shared.phase.subscribe();
    loop {
        let now = *phase.borrow_and_update();
        if now == Phase::Ready {
            return None;
        }
        if let (Phase::Filling, Some(site)) = (now, shared.on_demand()) {
            let raw = raw.to_string();
            let found = tokio::task::spawn_blocking(move || find_on_demand(&site, &raw)).await;
            match found {
                Ok(Found::Entry(path, entry)) => {
                    let mut r = respond(shared, &path, &entry, headers, StatusCode::OK).await;
                    r.headers_mut()
                        .insert(SITE_HEADER, HeaderValue::from_static("partial"));
                    return Some(r);
                }
                Ok(Found::Redirect(to)) => return Some(redirect(to, query)),
                // Not answered from phase one: wait for the whole site.
                Ok(Found::Nothing) | Err(_) => {}
            }
        }
        if phase.changed().await.is_err() {
            return None;
        }
    }
}

/// What phase one's site answers for a request path.
fn find_on_demand(site: &OnDemandSite, raw: &str) -> Found {
    let Some(path) = output_path(raw) else {
        return Found::Nothing;
    };
    match site.render_path(&path) {
        Some(Ok(produced)) => {
            let (body, version) = match produced {
                Produced::Bytes(b) => {
                    // The ETag from the bytes: a page rendered twice from
                    // phase one is the same page.
                    let version = {
                        use std::hash::{Hash, Hasher};
                        let mut h = std::collections::hash_map::DefaultHasher::new();
                        b.hash(&mut h);
                        h.finish()
                    };
                    (Body::Bytes(Arc::new(b)), version)
                }
                Produced::File(f) => (Body::File(f), 0),
            };
            Found::Entry(path, Entry { body, version })
        }
        Some(Err(_)) => Found::Nothing,
        None => {
            let dir = format!("{path}/index.html");
            if !path.ends_with("index.html") && site.has_path(&dir) {
                Found::Redirect(url_path(&dir))
            } else {
                Found::Nothing
            }
        }
    }
}

/// The page served for everything while the site has never built.
fn error_page(text: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>marginalia: the site has errors</title></head>\
         <body><h1>The site has errors</h1><pre>{}</pre>{}</body></html>\n",
        crate::html::escape(text),
        script_tag(false)
    );
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

fn script_tag(not_found: bool) -> String {
    format!(
        "<script src=\"{PREFIX}live.js\" data-not-found=\"{}\"></script>",
        u8::from(not_found)
    )
}

/// Puts the live-reload script in an HTML page: before `</body>` when the
/// page has one (found by the tokenizer, so `</body>` inside a comment or
/// script does not count), else at the end.
pub fn inject(html: &[u8], not_found: bool) -> Vec<u8> {
    let tag = script_tag(not_found);
    let at = body_end(html).unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + tag.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

fn body_end(html: &[u8]) -> Option<usize> {
    use html5gum::{DefaultEmitter, Token, Tokenizer};
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    emitter.naively_switch_states(true);
    let mut last = None;
    for token in Tokenizer::new_with_emitter(html, emitter).flatten() {
        if let Token::EndTag(t) = token
            && &*t.name == b"body"
        {
            last = Some(t.span.start);
        }
    }
    last
}

async fn respond(
    shared: &Arc<Shared>,
    path: &str,
    entry: &Entry,
    headers: &HeaderMap,
    status: StatusCode,
) -> Response {
    let (bytes, etag) = match &entry.body {
        Body::Bytes(b) => (Ok(b.clone()), format!("\"m{:x}\"", entry.version)),
        Body::File(f) => {
            let root = shared.root.clone();
            let f = f.clone();
            let read = tokio::task::spawn_blocking(move || read_inside(&root, &f)).await;
            match read {
                Ok(Ok((bytes, tag))) => (Ok(Arc::new(bytes)), tag),
                _ => (Err(()), String::new()),
            }
        }
    };
    let Ok(bytes) = bytes else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let ctype = content_type(path);
    let mut builder = Response::builder()
        .status(status)
        .header(SITE_HEADER, "complete")
        .header(header::CONTENT_TYPE, &ctype)
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::ETAG, &etag);
    if status == StatusCode::OK
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        builder = builder.status(StatusCode::NOT_MODIFIED);
        return builder
            .body(AxumBody::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    let body = if ctype.starts_with("text/html") {
        inject(&bytes, status == StatusCode::NOT_FOUND)
    } else {
        bytes.to_vec()
    };
    builder
        .header(header::CONTENT_LENGTH, body.len())
        .body(AxumBody::from(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Reads a copied file, only if it still resolves inside the site root
/// (it may have become a symlink to elsewhere since the site was loaded).
/// Returns the bytes and a weak ETag from its size and modification time.
fn read_inside(root: &Path, file: &Path) -> std::io::Result<(Vec<u8>, String)> {
    let real = file.canonicalize()?;
    if !real.starts_with(root) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "outside the site",
        ));
    }
    let meta = std::fs::metadata(&real)?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "not a file",
        ));
    }
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let bytes = std::fs::read(&real)?;
    Ok((bytes, format!("W/\"{:x}-{:x}\"", meta.len(), mtime)))
}

async fn live_js() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        LIVE_JS,
    )
        .into_response()
}

/// The Server-Sent Events of live reload: `hello` on connecting (and the
/// current problems, if any), then `reload`, `css`, `problems` and `ok`.
async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = shared.events.subscribe();
    let mut first: Vec<Event> = vec![Event::Hello];
    if let Some(text) = shared.problems_text() {
        first.push(Event::Problems(text));
    }
    let shutdown = shared.shutdown.subscribe();
    struct St {
        rx: broadcast::Receiver<Event>,
        first: std::vec::IntoIter<Event>,
        shutdown: tokio::sync::watch::Receiver<bool>,
    }
    let state = St {
        rx,
        first: first.into_iter(),
        shutdown,
    };
    let stream = futures_util::stream::unfold(state, |mut st| async move {
        if let Some(e) = st.first.next() {
            return Some((Ok(sse_event(&e)), st));
        }
        if *st.shutdown.borrow() {
            return None;
        }
        let event = tokio::select! {
            r = st.rx.recv() => match r {
                Ok(e) => e,
                // Missed some: the page cannot know what, so reload it.
                Err(broadcast::error::RecvError::Lagged(_)) => Event::Reload(vec!["*".into()]),
                Err(broadcast::error::RecvError::Closed) => return None,
            },
            _ = st.shutdown.changed() => return None,
        };
        Some((Ok(sse_event(&event)), st))
    });
    // Well within the idle timeout of connections (conn::IDLE).
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(10)))
}

fn sse_event(e: &Event) -> SseEvent {
    let (name, data) = match e {
        Event::Hello => ("hello", serde_json::json!({})),
        Event::Reload(paths) => {
            let all = paths.iter().any(|p| p == "*");
            let urls: Vec<String> = paths
                .iter()
                .filter(|p| *p != "*")
                .map(|p| url_path(p))
                .collect();
            ("reload", serde_json::json!({ "all": all, "paths": urls }))
        }
        Event::Css(paths) => {
            let urls: Vec<String> = paths.iter().map(|p| url_path(p)).collect();
            ("css", serde_json::json!({ "paths": urls }))
        }
        Event::Problems(text) => ("problems", serde_json::json!({ "text": text })),
        Event::Ok => ("ok", serde_json::json!({})),
    };
    SseEvent::default().event(name).data(data.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_never_leave_the_site() {
        assert_eq!(output_path("/").as_deref(), Some("index.html"));
        assert_eq!(
            output_path("/articles/x/").as_deref(),
            Some("articles/x/index.html")
        );
        assert_eq!(output_path("/style.css").as_deref(), Some("style.css"));
        assert_eq!(output_path("/a%20b.txt").as_deref(), Some("a b.txt"));
        assert_eq!(output_path("//etc/passwd").as_deref(), Some("etc/passwd"));
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/a/%2e/b",
            "/a%5c..%5cb",
            "/a%00b",
            "/%zz",
            "/%ff",
        ] {
            assert_eq!(output_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_own_host_names_are_answered() {
        let local = HostRule::new("127.0.0.1".parse().unwrap(), 1111);
        for ok in [
            "localhost:1111",
            "127.0.0.1:1111",
            "[::1]:1111",
            "LocalHost:1111",
        ] {
            assert!(local.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example:1111",
            "localhost",
            "localhost:80",
            "127.0.0.1:1112",
            "192.168.1.5:1111",
            "",
            "localhost.evil.example:1111",
        ] {
            assert!(!local.allows(bad), "{bad}");
        }
        let lan = HostRule::new("192.168.1.5".parse().unwrap(), 8000);
        assert!(lan.allows("192.168.1.5:8000") && lan.allows("localhost:8000"));
        assert!(!lan.allows("10.0.0.1:8000"));
        let all = HostRule::new("0.0.0.0".parse().unwrap(), 8000);
        assert!(all.allows("10.0.0.1:8000") && all.allows("[fe80::1]:8000"));
        assert!(!all.allows("rebind.evil.example:8000"));
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("style.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("x.js"), "text/javascript; charset=utf-8");
        assert_eq!(
            content_type("atom.xml"),
            "application/atom+xml; charset=utf-8"
        );
        assert_eq!(content_type("annotations.jsonld"), "application/ld+json");
        assert_eq!(
            content_type("search-index.json"),
            "application/json; charset=utf-8"
        );
        assert_eq!(content_type("a.png"), "image/png");
        assert_eq!(content_type("a.pdf"), "application/pdf");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }

    #[test]
    fn the_script_goes_before_the_last_body_end() {
        let html = b"<html><body><!-- </body> --><p>x</p></body></html>";
        let out = String::from_utf8(inject(html, false)).unwrap();
        assert!(out.ends_with("<p>x</p><script src=\"/__marginalia/live.js\" data-not-found=\"0\"></script></body></html>"), "{out}");
        let out = String::from_utf8(inject(b"<p>no body", true)).unwrap();
        assert!(out.starts_with("<p>no body<script"), "{out}");
    }
}
