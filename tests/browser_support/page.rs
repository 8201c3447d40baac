//! A page (tab) of the headless browser, on its own DevTools connection: navigate, reload,
//! evaluate JavaScript, wait for a condition in the page, and what the page went through —
//! main-frame navigations, console errors, and whether it ever showed a browser error page.
//! Every method is bounded by a deadline; none sleeps as synchronisation.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::cdp::Connection;
use super::{COMMAND, LOAD, POLL};

pub struct Page {
    cdp: Connection,
}

/// How one page load went: the main frame's URL, and whether Chromium showed its own error
/// page instead of the document (`chrome-error://…`).
#[derive(Debug, Clone, PartialEq)]
pub struct Navigation {
    pub url: String,
    pub error_page: bool,
}

impl Page {
    /// Takes over a page target's connection and enables the events the methods below read.
    pub(super) fn attach(mut cdp: Connection) -> Result<Page, String> {
        for domain in ["Page", "Runtime", "Network", "Log"] {
            cdp.call(&format!("{domain}.enable"), json!({}), COMMAND)?;
        }
        Ok(Page { cdp })
    }

    /// Opens `url` and waits for its load event (or for Chromium's error page, which has one
    /// too). Err when the load does not happen within the deadline.
    pub fn navigate(&mut self, url: &str) -> Result<Navigation, String> {
        self.sync()?;
        let from = self.cdp.events().len();
        self.cdp
            .call("Page.navigate", json!({ "url": url }), COMMAND)?;
        self.wait_loaded(from, &format!("{url} to load"))
    }

    /// Reloads the page (as the proxy's client script will) and waits for the new document's
    /// load event, or Chromium's error page.
    pub fn reload(&mut self) -> Result<Navigation, String> {
        self.sync()?;
        let from = self.cdp.events().len();
        self.cdp.call("Page.reload", json!({}), COMMAND)?;
        self.wait_loaded(from, "the reload")
    }

    /// Evaluates `js` in the page (promises awaited) and returns its value as JSON (`null` for
    /// `undefined`). Err with the exception when it throws.
    pub fn eval(&mut self, js: &str) -> Result<Value, String> {
        let answer = self.cdp.call(
            "Runtime.evaluate",
            json!({ "expression": js, "returnByValue": true, "awaitPromise": true }),
            COMMAND,
        )?;
        if let Some(details) = answer.get("exceptionDetails") {
            let why = details["exception"]["description"]
                .as_str()
                .or_else(|| details["text"].as_str())
                .unwrap_or("an exception");
            return Err(format!("{js} threw: {why}"));
        }
        Ok(answer["result"]
            .get("value")
            .cloned()
            .unwrap_or(Value::Null))
    }

    /// The trimmed text of the first element matching the CSS `selector`; Err when there is
    /// none (or the page has no document right now).
    pub fn text(&mut self, selector: &str) -> Result<String, String> {
        let selector = Value::from(selector);
        let js = format!("document.querySelector({selector})?.textContent ?? null");
        match self.eval(&js)? {
            Value::String(text) => Ok(text.trim().to_string()),
            _ => Err(format!("no element matches {selector} on the page")),
        }
    }

    /// Evaluates `condition` every few milliseconds until it is truthy, at most `timeout`:
    /// Ok with its value, or Err naming `what` and the last value (or error) seen. Errors count
    /// as "not yet": the page may be between documents.
    pub fn wait_for(
        &mut self,
        condition: &str,
        timeout: Duration,
        what: &str,
    ) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.eval(condition) {
                Ok(value) if truthy(&value) => return Ok(value),
                Ok(value) => value.to_string(),
                Err(e) => e,
            };
            if Instant::now() >= deadline {
                return Err(format!(
                    "timed out after {timeout:?} waiting for {what} ({condition}); last: {last}"
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    /// Every document the main frame showed since this page was opened, in order (a CSS swap or
    /// a `pushState` is not one; a reload is).
    pub fn navigations(&mut self) -> Result<Vec<Navigation>, String> {
        self.sync()?;
        Ok(self
            .cdp
            .events()
            .iter()
            .filter_map(main_frame_navigation)
            .collect())
    }

    /// The loads that ended on Chromium's error page instead of a document: error-page
    /// navigations of the main frame, and documents whose loading failed (not those merely
    /// aborted by a newer navigation), as readable lines.
    pub fn error_pages(&mut self) -> Result<Vec<String>, String> {
        self.sync()?;
        Ok(self
            .cdp
            .events()
            .iter()
            .filter_map(|event| {
                if let Some(nav) = main_frame_navigation(event) {
                    let unreachable = event["params"]["frame"]["unreachableUrl"].as_str();
                    return nav.error_page.then(|| {
                        format!("error page {} for {}", nav.url, unreachable.unwrap_or("?"))
                    });
                }
                let p = &event["params"];
                let failed_document = event["method"] == "Network.loadingFailed"
                    && p["type"] == "Document"
                    && p["canceled"] != true
                    && p["errorText"] != "net::ERR_ABORTED";
                failed_document.then(|| format!("document failed to load: {}", p["errorText"]))
            })
            .collect())
    }

    /// Console errors, uncaught exceptions and browser log errors (e.g. a failed subresource),
    /// as readable lines; not the 404 of the `/favicon.ico` Chromium fetches by itself.
    pub fn console_errors(&mut self) -> Result<Vec<String>, String> {
        self.sync()?;
        Ok(self.cdp.events().iter().filter_map(console_error).collect())
    }

    /// Every event this page's connection received, for failure messages and ad-hoc checks.
    pub fn events(&mut self) -> Result<Vec<Value>, String> {
        self.sync()?;
        Ok(self.cdp.events().to_vec())
    }

    /// Waits for the first main-frame navigation at event `from` or later and that document's
    /// load event.
    fn wait_loaded(&mut self, from: usize, what: &str) -> Result<Navigation, String> {
        let mut seen = None;
        self.cdp.wait_event(LOAD, what, |events| {
            let fresh = &events[from.min(events.len())..];
            let Some(at) = fresh
                .iter()
                .position(|e| main_frame_navigation(e).is_some())
            else {
                return false;
            };
            seen = main_frame_navigation(&fresh[at]);
            fresh[at..]
                .iter()
                .any(|e| e["method"] == "Page.loadEventFired")
        })?;
        Ok(seen.expect("a navigation was seen"))
    }

    /// A round trip through the renderer (where the page's events come from): once it is
    /// answered, every event sent before has been read. An error answer (no execution context
    /// between two documents) is a round trip too.
    fn sync(&mut self) -> Result<(), String> {
        self.cdp
            .round_trip("Runtime.evaluate", json!({ "expression": "0" }), COMMAND)
            .map(drop)
    }
}

/// A `Page.frameNavigated` of the main frame (no parent), as a [`Navigation`].
fn main_frame_navigation(event: &Value) -> Option<Navigation> {
    if event["method"] != "Page.frameNavigated" {
        return None;
    }
    let frame = &event["params"]["frame"];
    if frame.get("parentId").is_some() {
        return None;
    }
    let url = frame["url"].as_str().unwrap_or_default().to_string();
    let error_page = url.starts_with("chrome-error://") || frame.get("unreachableUrl").is_some();
    Some(Navigation { url, error_page })
}

fn console_error(event: &Value) -> Option<String> {
    let p = &event["params"];
    match event["method"].as_str()? {
        "Runtime.consoleAPICalled" if matches!(p["type"].as_str(), Some("error" | "assert")) => {
            let args: Vec<String> = p["args"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| match a.get("value") {
                    Some(Value::String(s)) => s.clone(),
                    Some(v) => v.to_string(),
                    None => a["description"].as_str().unwrap_or("?").to_string(),
                })
                .collect();
            Some(format!("console.error: {}", args.join(" ")))
        }
        "Runtime.exceptionThrown" => {
            let d = &p["exceptionDetails"];
            let why = d["exception"]["description"]
                .as_str()
                .or_else(|| d["text"].as_str())
                .unwrap_or("?");
            Some(format!("uncaught: {why}"))
        }
        // Chromium asks for /favicon.ico on its own; an app without one has no page error.
        "Log.entryAdded"
            if p["entry"]["level"] == "error"
                && !p["entry"]["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("/favicon.ico")) =>
        {
            Some(format!(
                "log: {} ({})",
                p["entry"]["text"].as_str().unwrap_or("?"),
                p["entry"]["url"].as_str().unwrap_or("-")
            ))
        }
        _ => None,
    }
}

/// JavaScript truthiness of a JSON value (`undefined` arrives as null).
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}
