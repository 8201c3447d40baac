//! The responses the proxy writes itself: the 502 while no generation can serve (an HTML page
//! for browsers that reloads itself once the app is back, plain text otherwise), refusals, and
//! the client script. Every byte of upstream or compiler text is escaped before it meets HTML.

use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};

use super::body::{ProxyBody, full};
use crate::report::text::escape_markup as escape;

/// The embedded live-reload client.
pub const CLIENT_JS: &str = include_str!("client.js");

/// Marks the proxy's own 502, so the page can tell it from the app's.
pub const UNAVAILABLE_HEADER: &str = "x-hotdev-unavailable";

/// A plain-text response: refusals and errors for non-browsers.
pub fn text(status: StatusCode, message: &str) -> Response<ProxyBody> {
    let mut response = Response::new(full(format!("{message}\n")));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The 502 after `hold_timeout`: `reason` says why; `last_error` is the failed build's output.
pub fn unavailable(
    request: &HeaderMap,
    reason: &str,
    last_error: Option<&[String]>,
) -> Response<ProxyBody> {
    let browser = super::inject::is_document_request(request);
    let mut response = if browser {
        let mut page = String::from(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>hotdev: app unavailable</title>\
             <style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}\
             pre{background:#f4f4f4;padding:1rem;overflow:auto}</style></head><body>\
             <h1>The app is not available</h1><p>",
        );
        page.push_str(&escape(reason));
        page.push_str("</p><p>This page reloads itself as soon as the app answers again.</p>");
        if let Some(lines) = last_error {
            page.push_str("<h2>Last build error</h2><pre>");
            page.push_str(&escape(&lines.join("\n")));
            page.push_str("</pre>");
        }
        page.push_str(RETRY_SCRIPT);
        page.push_str(super::inject::SCRIPT_TAG);
        page.push_str("</body></html>");
        let mut response = Response::new(full(page));
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        response
    } else {
        let mut message = format!("hotdev: the app is not available: {reason}");
        if let Some(lines) = last_error {
            message.push_str("\nlast build error:\n");
            message.push_str(&lines.join("\n"));
        }
        text(StatusCode::BAD_GATEWAY, &message)
    };
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(UNAVAILABLE_HEADER, HeaderValue::from_static("1"));
    response
}

/// Polls the same URL (each poll is itself held up to `hold_timeout`) and reloads once the
/// answer is not the proxy's own 502.
const RETRY_SCRIPT: &str = "<script>(function poll(){fetch(location.href,{method:'HEAD',\
cache:'no-store'}).then(function(r){if(!r.headers.get('x-hotdev-unavailable')){location.reload()}\
else{setTimeout(poll,1000)}},function(){setTimeout(poll,1000)})})()</script>";

/// The client script response.
pub fn client_js() -> Response<ProxyBody> {
    let mut response = Response::new(full(CLIENT_JS));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn body(response: Response<ProxyBody>) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let bytes = rt
            .block_on(response.into_body().collect())
            .expect("body")
            .to_bytes();
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[test]
    fn browsers_get_an_html_page_with_the_escaped_error() {
        let mut request = HeaderMap::new();
        request.insert("accept", HeaderValue::from_static("text/html"));
        let lines = vec!["./main.go:3:1: expected <ident>".to_string()];
        let response = unavailable(&request, "no generation is serving", Some(&lines));
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        assert!(response.headers().contains_key(UNAVAILABLE_HEADER));
        let page = body(response);
        assert!(
            page.contains("./main.go:3:1: expected &lt;ident&gt;"),
            "{page}"
        );
        assert!(page.contains("location.reload()"), "{page}");
    }

    #[test]
    fn other_clients_get_plain_text() {
        let response = unavailable(&HeaderMap::new(), "no generation is serving", None);
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        let text = body(response);
        assert!(
            text.starts_with("hotdev: the app is not available"),
            "{text}"
        );
        assert!(!text.contains('<'), "{text}");
    }
}
