//! Which responses get the live-reload client script, and where it goes. Pure functions: no
//! I/O. It must never touch a fragment (`HX-Request: true`), a non-HTML body, or an encoded one.

use hyper::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap};
use hyper::{Method, StatusCode};

/// The tag inserted into every full HTML document.
pub const SCRIPT_TAG: &str = "<script src=\"/__hotdev/client.js\" data-hotdev></script>";

/// Whether a document request: a browser navigating, not `fetch` of data. Such requests ask the
/// upstream for an identity encoding, so the HTML can be injected.
pub fn is_document_request(headers: &HeaderMap) -> bool {
    header_contains(headers, hyper::header::ACCEPT, "text/html") && !is_fragment_request(headers)
}

/// htmx (and the like) asks for a fragment to swap into the page: never a full document.
pub fn is_fragment_request(headers: &HeaderMap) -> bool {
    headers
        .get("hx-request")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Whether a response may be an HTML document to inject into, judged from the request and the
/// response head (the body decides last: [`insert`]).
pub fn wants_injection(
    method: &Method,
    request: &HeaderMap,
    status: StatusCode,
    response: &HeaderMap,
) -> bool {
    let html = response
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("text/html"));
    let encoded = response
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("identity"));
    let has_body = *method != Method::HEAD
        && !status.is_informational()
        && status != StatusCode::NO_CONTENT
        && status != StatusCode::NOT_MODIFIED;
    html && !encoded && has_body && !is_fragment_request(request)
}

/// The document with the script tag inserted before `</body>` (else `</html>`, else at the
/// end), or `None` when the body is not a full document (no `<html` nor `<body`).
pub fn insert(body: &[u8]) -> Option<Vec<u8>> {
    if find(body, b"<html").is_none() && find(body, b"<body").is_none() {
        return None;
    }
    let at = rfind(body, b"</body")
        .or_else(|| rfind(body, b"</html"))
        .unwrap_or(body.len());
    let mut out = Vec::with_capacity(body.len() + SCRIPT_TAG.len());
    out.extend_from_slice(&body[..at]);
    out.extend_from_slice(SCRIPT_TAG.as_bytes());
    out.extend_from_slice(&body[at..]);
    Some(out)
}

fn header_contains(headers: &HeaderMap, name: hyper::header::HeaderName, needle: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains(needle))
}

/// The first ASCII-case-insensitive occurrence of `needle` (lowercase) in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .rposition(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    fn injected(body: &str) -> Option<String> {
        insert(body.as_bytes()).map(|b| String::from_utf8(b).expect("utf-8"))
    }

    #[test]
    fn the_script_goes_before_the_last_closing_body() {
        let out = injected("<html><body><p>x</p></BODY></html>").expect("a document");
        assert_eq!(
            out,
            format!("<html><body><p>x</p>{SCRIPT_TAG}</BODY></html>")
        );
    }

    #[test]
    fn without_body_it_goes_before_html_else_at_the_end() {
        assert_eq!(
            injected("<HTML><p>x</HTML>").expect("doc"),
            format!("<HTML><p>x{SCRIPT_TAG}</HTML>")
        );
        assert_eq!(
            injected("<body><p>x").expect("doc"),
            format!("<body><p>x{SCRIPT_TAG}")
        );
    }

    #[test]
    fn a_fragment_body_is_left_alone() {
        assert_eq!(injected("<li>one</li><li>two</li>"), None);
    }

    #[test]
    fn only_unencoded_html_responses_with_a_body_qualify() {
        let html = headers(&[("content-type", "text/html; charset=utf-8")]);
        let none = HeaderMap::new();
        assert!(wants_injection(&Method::GET, &none, StatusCode::OK, &html));
        assert!(!wants_injection(
            &Method::HEAD,
            &none,
            StatusCode::OK,
            &html
        ));
        assert!(!wants_injection(
            &Method::GET,
            &none,
            StatusCode::NOT_MODIFIED,
            &html
        ));
        let gzip = headers(&[("content-type", "text/html"), ("content-encoding", "gzip")]);
        assert!(!wants_injection(&Method::GET, &none, StatusCode::OK, &gzip));
        let css = headers(&[("content-type", "text/css")]);
        assert!(!wants_injection(&Method::GET, &none, StatusCode::OK, &css));
        let htmx = headers(&[("hx-request", "true")]);
        assert!(!wants_injection(&Method::GET, &htmx, StatusCode::OK, &html));
    }

    #[test]
    fn documents_are_browser_navigations_not_fragments() {
        let browser = headers(&[("accept", "text/html,application/xhtml+xml,*/*;q=0.8")]);
        assert!(is_document_request(&browser));
        assert!(!is_document_request(&headers(&[("accept", "*/*")])));
        let htmx = headers(&[("accept", "text/html"), ("hx-request", "true")]);
        assert!(!is_document_request(&htmx));
    }
}
