//! URL helpers shared by every stage: which addresses may be put in a page,
//! percent-decoding, and comparing two addresses of one page.
//!
//! The Markdown renderer, the HTML sanitiser, front matter and
//! `sources.yaml` must agree on which URLs are safe to publish, and
//! `import hypothesis` (which article does an annotation belong to?) and
//! `archive` (is this page already in the archive?) must agree on when two
//! URLs name the same page, so each rule is written once, here.

use std::borrow::Cow;

/// Where a URL is used: a link (`href`) or an embedded image (`src`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlUse {
    Link,
    Image,
}

/// The scheme of a URL as a browser reads it, lower-cased: tabs, newlines
/// and other control characters anywhere and spaces at either end are
/// ignored (browsers drop some of them, so `java\tscript:` is still
/// `javascript:`; dropping all of them only ever refuses more). `None` for
/// a relative URL: no `:`, or a character before it that no scheme may
/// hold (`foo):`, `./a:b`).
pub fn scheme(url: &str) -> Option<String> {
    let mut scheme = String::new();
    for c in url
        .trim_matches(|c: char| c == ' ' || c.is_control())
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
    {
        match c {
            ':' if !scheme.is_empty() => return Some(scheme),
            'a'..='z' | 'A'..='Z' => scheme.push(c.to_ascii_lowercase()),
            '0'..='9' | '+' | '-' | '.' if !scheme.is_empty() => scheme.push(c),
            _ => return None,
        }
    }
    None
}

/// Whether a URL may be put in an `href` (see [`is_safe_url_for`]).
pub fn is_safe_url(url: &str) -> bool {
    is_safe_url_for(url, UrlUse::Link)
}

/// Whether a URL may be put in a page: only schemes that execute or embed
/// are refused (`javascript:`, `vbscript:`, `file:`, and `data:` except an
/// `image/…` as an image's source); every other scheme, made-up ones
/// included, and every relative URL stays. The HTML sanitiser applies the
/// same rule to raw HTML.
pub fn is_safe_url_for(url: &str, used: UrlUse) -> bool {
    match scheme(url).as_deref() {
        None => true,
        Some("javascript" | "vbscript" | "livescript" | "file") => false,
        Some("data") => used == UrlUse::Image && is_data_image(url),
        Some(_) => true,
    }
}

/// `data:image/…` (after the same clean-up as [`scheme`]).
fn is_data_image(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .take(11)
        .collect();
    cleaned.to_ascii_lowercase().starts_with("data:image/")
}

/// `%XX` escapes decoded; `None` for a bad escape (`%zz`, a `%` near the
/// end) or bytes that are not UTF-8. The one decoder for links in Markdown,
/// `check`'s link targets and `serve`'s request paths: `serve` refuses such
/// a path, the others keep the text as written.
pub fn percent_decode(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('%') {
        return Some(Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |at: usize| b.get(at).and_then(|c| (*c as char).to_digit(16));
            out.push((hex(i + 1)? * 16 + hex(i + 2)?) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// Query parameters that trackers add and that never change the page:
/// `utm_*` and the click ids of the big ad networks and mailers.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "ref_src",
    "ref_url",
    "cmpid",
    "ncid",
    "smid",
    "sr_share",
];

fn is_tracking_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_") || TRACKING_PARAMS.contains(&name.as_str())
}

/// The form in which two URLs of one page compare equal, as Hypothesis
/// normalises them before matching annotations to documents: http and
/// https alike, host in lower case without a default port, no fragment,
/// no trailing slash, no tracking parameters, the other query parameters
/// in a stable order. Text that does not parse as an absolute URL is only
/// trimmed, so it still compares with itself.
pub fn match_key(raw: &str) -> String {
    let raw = raw.trim();
    let Ok(url) = ::url::Url::parse(raw) else {
        return raw.trim_end_matches('/').to_string();
    };
    let scheme = match url.scheme() {
        "http" | "https" => "http(s)",
        other => other,
    };
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking_param(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.sort();
    let mut key = format!("{scheme}://{host}{port}{path}");
    if !params.is_empty() {
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        key.push('?');
        key.push_str(&query.join("&"));
    }
    key
}

/// The host of a URL without `www.`, lower-cased: what a source's `url`
/// and a captured page's address are matched on.
pub fn site_host(raw: &str) -> Option<String> {
    let url = ::url::Url::parse(raw.trim()).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commonmark_spec_urls_are_kept() {
        // Spec examples that an allow-list of schemes dropped.
        for url in [
            "foo):",
            "irc://foo.bar:2233/baz",
            "a+b+c:d",
            "made-up-scheme://foo,bar",
            "localhost:5001/foo",
            "https://example.com",
            "mailto:a@b.example",
            "/root/path",
            "../up/a:b",
            "#frag:ment",
            "",
        ] {
            assert!(is_safe_url(url), "{url:?} refused");
        }
    }

    #[test]
    fn executing_and_embedding_schemes_are_refused_however_spelled() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " \tjava\nscript:alert(1)",
            "java\u{0}script:alert(1)",
            "\u{1}javascript:alert(1)",
            "jav\u{7f}ascript:x",
            "VBScript:msgbox",
            "file:///etc/passwd",
            "FILE:/etc/passwd",
            "data:text/html,<script>alert(1)</script>",
            "data:image/png;base64,AAAA",
        ] {
            assert!(!is_safe_url(url), "{url:?} allowed as a link");
        }
        assert!(is_safe_url_for("data:image/png;base64,AAAA", UrlUse::Image));
        assert!(is_safe_url_for(" DATA:Image/gif;base64,R0", UrlUse::Image));
        assert!(!is_safe_url_for("data:text/html,x", UrlUse::Image));
        assert!(!is_safe_url_for("javascript:x", UrlUse::Image));
    }

    #[test]
    fn schemes_as_browsers_read_them() {
        assert_eq!(scheme("HTTPS://x").as_deref(), Some("https"));
        assert_eq!(scheme("a+b+c:d").as_deref(), Some("a+b+c"));
        assert_eq!(scheme("foo):"), None);
        assert_eq!(scheme("1abc:x"), None);
        assert_eq!(scheme(":x"), None);
        assert_eq!(scheme("no-colon"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2Fc").as_deref(), Some("a b/c"));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("100%"), None);
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%C3%A9t%C3%A9").as_deref(), Some("été"));
        assert_eq!(percent_decode("%FF"), None);
    }

    #[test]
    fn one_page_many_spellings() {
        let a = match_key("https://News.Example.com/2021/story/?utm_source=tw&id=7#comments");
        for other in [
            "http://news.example.com/2021/story?id=7",
            "https://news.example.com:443/2021/story/?fbclid=XYZ&id=7",
            "https://news.example.com/2021/story?id=7&gclid=1&utm_medium=social",
        ] {
            assert_eq!(match_key(other), a, "{other}");
        }
        assert_eq!(a, "http(s)://news.example.com/2021/story?id=7");
    }

    #[test]
    fn different_pages_stay_apart() {
        assert_ne!(
            match_key("https://a.example/x?id=7"),
            match_key("https://a.example/x?id=8")
        );
        assert_ne!(
            match_key("https://a.example/x"),
            match_key("https://a.example/y")
        );
        assert_ne!(
            match_key("https://a.example:8080/x"),
            match_key("https://a.example/x")
        );
    }

    #[test]
    fn query_order_does_not_matter_and_garbage_is_kept() {
        assert_eq!(
            match_key("https://a.example/x?b=2&a=1"),
            match_key("https://a.example/x?a=1&b=2")
        );
        assert_eq!(match_key(" not a url/ "), "not a url");
    }

    #[test]
    fn hosts_without_www() {
        assert_eq!(
            site_host("https://WWW.NyTimes.com/2021/x").as_deref(),
            Some("nytimes.com")
        );
        assert_eq!(site_host("nope"), None);
    }
}
