//! URL helpers shared by every stage: comparing two addresses of one page.
//!
//! `import hypothesis` (which article does an annotation belong to?) and
//! `archive` (is this page already in the archive?) must agree on when two
//! URLs name the same page, so there is one rule, here.

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
    let Ok(url) = url::Url::parse(raw) else {
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
    let url = url::Url::parse(raw.trim()).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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
