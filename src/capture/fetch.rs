//! Getting a page's bytes: over HTTP(S) with ureq (rustls), or from a
//! saved file; and decoding them to text as a browser would.
//!
//! The bytes are kept exactly as received: they become `original.html`,
//! the evidence the article was made from. Every way a fetch can fail is
//! one plain sentence ([`FetchError`]).

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use ureq::ResponseExt;

/// Pages larger than this are refused (after any gzip decoding).
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;
/// Redirects followed before giving up.
pub const MAX_REDIRECTS: u32 = 10;
/// Default time to connect, and to wait for each part of the response.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Overrides [`TIMEOUT`] in milliseconds (the tests use a short one).
pub const TIMEOUT_ENV: &str = "MARGINALIA_FETCH_TIMEOUT_MS";

const USER_AGENT: &str = concat!(
    "marginalia/",
    env!("CARGO_PKG_VERSION"),
    " (archiving a page for an annotated archive; +https://github.com/marginalia)"
);

/// A page as received.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// Where the page was in the end, after redirects (`None` for a file).
    pub final_url: Option<String>,
    /// The charset the server named in `Content-Type`, if any.
    pub charset: Option<String>,
}

/// Why a page could not be had; `Display` is the sentence the user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError(pub String);

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn timeout() -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(TIMEOUT)
}

/// Fetches `url` (http or https): at most [`MAX_REDIRECTS`] redirects,
/// [`MAX_BYTES`] of body, and the timeout for connecting, for the headers
/// and for the body. Only HTML (or a response that names no type) is taken.
pub fn fetch(url: &str) -> Result<Fetched, FetchError> {
    get(
        url,
        "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        |mime| mime.is_empty() || mime == "text/html" || mime == "application/xhtml+xml",
    )
    .map_err(|e| match e {
        GetError::Type(final_url, mime) => FetchError(format!(
            "{final_url} is not a web page: its type is {mime}, and only HTML can be archived"
        )),
        GetError::Other(e) => e,
    })
}

/// Fetches an image of an archived page (for `--images`): its bytes and
/// its media type.
pub fn fetch_image(url: &str) -> Result<(Vec<u8>, String), FetchError> {
    let mut mime = String::new();
    let fetched = get(url, "image/*", |m| {
        mime = m.to_string();
        m.starts_with("image/") && m != "image/svg+xml"
    })
    .map_err(|e| match e {
        GetError::Type(final_url, mime) => FetchError(format!(
            "{final_url} is not an image that can be kept: its type is {}",
            if mime.is_empty() { "not given" } else { &mime }
        )),
        GetError::Other(e) => e,
    })?;
    Ok((fetched.bytes, mime))
}

enum GetError {
    /// The final URL and the media type it had.
    Type(String, String),
    Other(FetchError),
}

fn get(url: &str, accept: &str, mut wanted: impl FnMut(&str) -> bool) -> Result<Fetched, GetError> {
    let t = timeout();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(t))
        .timeout_recv_response(Some(t))
        .timeout_recv_body(Some(t))
        .max_redirects(MAX_REDIRECTS)
        .http_status_as_error(false)
        .user_agent(USER_AGENT)
        .build()
        .into();
    let mut response = agent
        .get(url)
        .header("Accept", accept)
        .call()
        .map_err(|e| GetError::Other(describe(url, &e)))?;
    let final_url = response.get_uri().to_string();
    let status = response.status();
    if !status.is_success() {
        let reason = status.canonical_reason().unwrap_or("error");
        return Err(GetError::Other(FetchError(format!(
            "{final_url} answered {} {reason}, not the page",
            status.as_u16()
        ))));
    }
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !wanted(&mime) {
        return Err(GetError::Type(final_url, mime));
    }
    // A body announced as too big is refused before it is read; one
    // that does not say its size is cut off at the cap below.
    let announced = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BYTES) {
        return Err(GetError::Other(describe(
            &final_url,
            &ureq::Error::BodyExceedsLimit(MAX_BYTES),
        )));
    }
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_BYTES)
        .read_to_vec()
        .map_err(|e| GetError::Other(describe(&final_url, &e)))?;
    Ok(Fetched {
        bytes,
        final_url: Some(final_url),
        charset: charset_param(&content_type),
    })
}

/// Reads a saved page. Its size is capped like a fetched one.
pub fn read_file(path: &Path) -> Result<Fetched, FetchError> {
    let file = std::fs::File::open(path)
        .map_err(|e| FetchError(format!("could not read {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FetchError(format!("could not read {}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(FetchError(format!(
            "{} is larger than {} MiB, the most a page may be",
            path.display(),
            MAX_BYTES / 1024 / 1024
        )));
    }
    Ok(Fetched {
        bytes,
        final_url: None,
        charset: None,
    })
}

/// One sentence for each way ureq fails.
fn describe(url: &str, e: &ureq::Error) -> FetchError {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| url.to_string());
    let msg = match e {
        ureq::Error::HostNotFound => format!("the host {host} was not found (DNS)"),
        ureq::Error::Timeout(_) => format!(
            "{url} did not answer within {} seconds",
            timeout().as_secs_f64()
        ),
        ureq::Error::BodyExceedsLimit(_) => format!(
            "{url} is larger than {} MiB, the most a page may be",
            MAX_BYTES / 1024 / 1024
        ),
        ureq::Error::TooManyRedirects => {
            format!("{url} redirected more than {MAX_REDIRECTS} times")
        }
        ureq::Error::RedirectFailed => {
            format!("{url} redirected to an address that cannot be followed")
        }
        ureq::Error::ConnectionFailed => format!("could not connect to {host}"),
        ureq::Error::BadUri(_) => format!("{url} is not a web address that can be fetched"),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => format!(
            "{url} did not answer within {} seconds",
            timeout().as_secs_f64()
        ),
        // The resolver's failure reaches ureq as an I/O error.
        ureq::Error::Io(io) if io.to_string().contains("lookup address") => {
            format!("the host {host} was not found (DNS)")
        }
        ureq::Error::Io(io) => format!("could not fetch {url}: {io}"),
        other => {
            let text = other.to_string();
            if text.to_ascii_lowercase().contains("tls")
                || text.to_ascii_lowercase().contains("certificate")
            {
                format!("the secure connection to {host} failed (TLS): {text}")
            } else {
                format!("could not fetch {url}: {text}")
            }
        }
    };
    FetchError(msg)
}

/// `charset=…` of a `Content-Type` value.
fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset"))
            .then(|| v.trim().trim_matches('"').trim_matches('\'').to_string())
    })
}

/// Decodes a page as a browser would: a byte-order mark first, then the
/// server's charset, then a `<meta charset>` in the first 1024 bytes;
/// with none of these, UTF-8 when the bytes are valid UTF-8, else
/// windows-1252 (the web's legacy default).
pub fn decode(bytes: &[u8], header_charset: Option<&str>) -> String {
    use encoding_rs::Encoding;
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom_len..])
            .0
            .into_owned();
    }
    let named = header_charset
        .and_then(|c| Encoding::for_label(c.as_bytes()))
        .or_else(|| meta_charset(bytes).and_then(|c| Encoding::for_label(c.as_bytes())));
    let enc = match named {
        // A page that says UTF-16 in a meta tag cannot be (it would not
        // have been readable as ASCII); browsers read it as UTF-8.
        Some(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => encoding_rs::UTF_8,
        Some(e) => e,
        None if std::str::from_utf8(bytes).is_ok() => encoding_rs::UTF_8,
        None => encoding_rs::WINDOWS_1252,
    };
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// The charset a `<meta charset=…>` or `<meta http-equiv content="…;
/// charset=…">` names near the start of the page.
fn meta_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(1024)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("<meta") {
        rest = &rest[i + 5..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        if let Some(j) = tag.find("charset") {
            let after = tag[j + 7..].trim_start();
            let Some(after) = after.strip_prefix('=') else {
                continue;
            };
            let value: String = after
                .trim_start()
                .trim_start_matches(['"', '\''])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
                .collect();
            if !value.is_empty() {
                return Some(value);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_by_bom_header_meta_then_guess() {
        assert_eq!(decode(b"\xef\xbb\xbfcaf\xc3\xa9", None), "café");
        assert_eq!(decode(b"caf\xe9", Some("windows-1252")), "café");
        assert_eq!(decode(b"caf\xe9", Some("ISO-8859-1")), "café");
        let page = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"></head>\x93hi\x94 \x80";
        assert!(decode(page, None).ends_with("\u{201c}hi\u{201d} \u{20ac}"));
        assert!(decode(b"<meta charset='koi8-r'>\xc1", None).ends_with('а'));
        assert_eq!(decode("naïve".as_bytes(), None), "naïve");
        assert_eq!(decode(b"na\xefve", None), "naïve");
    }

    #[test]
    fn charset_of_content_type() {
        assert_eq!(
            charset_param("text/html; charset=\"Shift_JIS\"").as_deref(),
            Some("Shift_JIS")
        );
        assert_eq!(charset_param("text/html"), None);
    }
}
