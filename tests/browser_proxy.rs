//! Real-browser tests of the dev proxy: a headless Chromium over the DevTools protocol opens
//! the go-web fixture through `hotdev`'s proxy and sees what a web developer sees on save — a
//! handler edit reloads the page once the new version is ready (never an error page in
//! between), a broken build shows the compiler's line in an overlay, the fix removes it, a CSS
//! edit is swapped in place, a template edit under `reload_only` reloads with no build.

mod browser_support;
mod support;

use std::time::Instant;

use browser_support::Browser;
use serde_json::{Value, json};
use support::{BUILD, FIRST_BUILD, Fixture, Hotdev, SHORT, free_port, is, require_go};

const BACKGROUND: &str = "getComputedStyle(document.body).backgroundColor";
const WHITE: &str = "rgb(255, 255, 255)";
const GREEN: &str = "rgb(0, 128, 0)";
const CONNECTED: &str = "document.documentElement.getAttribute('data-hotdev') === 'connected'";
const OVERLAY: &str = "document.getElementById('__hotdev_overlay')";
const BROKEN: &str = "\nfunc broken() { undefinedName() }\n";

/// go-web with its `.hotdev.toml` on free ports: (fixture, proxy URL).
fn go_web() -> (Fixture, String) {
    require_go();
    let fixture = Fixture::copy("go-web");
    let (app, proxy) = (free_port(), free_port());
    fixture.replace(
        ".hotdev.toml",
        "address = \"127.0.0.1:8080\"",
        &format!("address = \"127.0.0.1:{app}\""),
    );
    fixture.replace(
        ".hotdev.toml",
        "address = \"127.0.0.1:3000\"",
        &format!("address = \"127.0.0.1:{proxy}\""),
    );
    (fixture, format!("http://127.0.0.1:{proxy}/"))
}

#[test]
fn chromium_through_the_proxy_reloads_on_ready_shows_build_errors_swaps_css_and_templates() {
    let (fixture, url) = go_web();
    let hotdev = Hotdev::start(fixture.path(), &[]);
    if let Err(e) = through_the_proxy(&fixture, &url, &hotdev) {
        panic!("{e}\n---- hotdev's last output ----\n{}", hotdev.tail(60));
    }
}

fn through_the_proxy(fixture: &Fixture, url: &str, hotdev: &Hotdev) -> Result<(), String> {
    let started = Instant::now();
    macro_rules! note {
        ($($arg:tt)*) => {
            eprintln!("[{:>5.2}s] {}", started.elapsed().as_secs_f32(), format!($($arg)*))
        };
    }
    hotdev.wait_for("generation_ready", &[("generation", json!(1))], FIRST_BUILD)?;
    // Generation 1's own page reload goes out just after; the page opens after it.
    hotdev.wait_for("browser", &[("action", json!("reload"))], SHORT)?;
    note!("0. hotdev serves generation 1; proxy at {url}");
    let mut browser = Browser::launch()?;
    let mut page = browser.page()?;

    // 1. The page through the proxy, with the client connected.
    let first = page.navigate(url)?;
    page.wait_for(CONNECTED, SHORT, "the client's event stream")?;
    let version = page.text("#version")?;
    note!("1. opened {first:?}: #version {version:?}, live-reload client connected");
    check(version == "v1", "#version is v1", &version)?;
    check(!first.error_page, "no error page", &first)?;

    // 2. A handler edit: the page reloads itself once generation 2 is ready.
    page.eval("window.marker = 'old document'")?;
    let cursor = hotdev.cursor();
    fixture.set_version("version.go", "v2");
    let shown = page.wait_for(
        "document.querySelector('#version')?.textContent === 'v2' && window.marker === undefined",
        BUILD,
        "v2 in a new document",
    );
    let events = hotdev.events();
    let ready = position(&events, cursor, |e| {
        is(e, "generation_ready") && e["generation"] == 2
    });
    let reload = position(&events, cursor, |e| {
        is(e, "browser") && e["action"] == "reload"
    });
    note!(
        "2. edited version.go: {shown:?}; generation_ready 2 at event {ready:?}, \
         browser reload at {reload:?}"
    );
    shown?;
    check(
        matches!((ready, reload), (Some(r), Some(b)) if r < b),
        "the reload is sent after generation 2 is ready",
        &(ready, reload),
    )?;
    page.wait_for(CONNECTED, SHORT, "the client, reconnected")?;

    // 3. A broken build: an overlay with the compiler's line over the old page.
    let before = fixture.read("main.go");
    fixture.write("main.go", &format!("{before}{BROKEN}"));
    let overlay = page.wait_for(
        &format!(
            "{OVERLAY}?.innerText.includes('undefined: undefinedName') && {OVERLAY}.innerText"
        ),
        BUILD,
        "the build error overlay",
    )?;
    let marked = page.eval(&format!(
        "Array.from({OVERLAY}.querySelectorAll('span')).map(s => s.textContent)"
    ))?;
    let underneath = page.text("#version")?;
    note!(
        "3. broke main.go: overlay {overlay}, highlighted {marked}, #version below {underneath:?}"
    );
    check(
        marked.as_array().is_some_and(|spans| {
            spans
                .iter()
                .any(|s| s.as_str().is_some_and(|s| s.starts_with("./main.go:")))
        }),
        "the compiler's file:line:col is highlighted",
        &marked,
    )?;
    check(
        underneath == "v2",
        "the old version is still shown",
        &underneath,
    )?;

    // 4. The fix (with a new version): the overlay goes and v3 shows.
    fixture.write("main.go", &before);
    fixture.set_version("version.go", "v3");
    let fixed = page.wait_for(
        &format!("!{OVERLAY} && document.querySelector('#version')?.textContent === 'v3'"),
        BUILD,
        "v3 without the overlay",
    );
    note!("4. fixed main.go, v3: {fixed:?}");
    fixed?;
    page.wait_for(CONNECTED, SHORT, "the client, reconnected")?;

    // 5. A CSS edit: swapped in place, no navigation, state kept.
    page.eval("window.marker = 'kept'; document.querySelector('#name').value = 'typed'")?;
    let navigations = page.navigations()?.len();
    fixture.replace("static/style.css", WHITE, GREEN);
    let swapped = page.wait_for(
        &format!("{BACKGROUND} === '{GREEN}' && {BACKGROUND}"),
        SHORT,
        "the new background",
    )?;
    let marker = page.eval("window.marker ?? null")?;
    let typed = page.eval("document.querySelector('#name').value")?;
    let after = page.navigations()?.len();
    note!(
        "5. edited style.css: background {swapped}, window.marker {marker}, #name {typed}, \
         navigations {navigations} -> {after}"
    );
    check(marker == "kept", "the JS variable survives", &marker)?;
    check(typed == "typed", "form state survives", &typed)?;
    check(after == navigations, "no navigation", &(navigations, after))?;

    // 6. A template edit under reload_only: a reload, no build.
    let cursor = hotdev.cursor();
    let edited = "Edited template, no build.";
    fixture.replace(
        "templates/index.html",
        "Hello from templates/index.html.",
        edited,
    );
    let reloaded = page.wait_for(
        &format!("document.querySelector('#message')?.textContent === '{edited}' && window.marker === undefined"),
        SHORT,
        "the edited template in a new document",
    );
    let builds = position(&hotdev.events(), cursor, |e| is(e, "build_started"));
    note!("6. edited index.html: {reloaded:?}; build_started since: {builds:?}");
    reloaded?;
    check(builds.is_none(), "no build for a template", &builds)?;

    // Never an error page, never a console error, in the whole session.
    let errors = page.error_pages()?;
    let console = page.console_errors()?;
    note!("7. error pages {errors:?}, console errors {console:?}");
    check(errors.is_empty(), "no error page at any step", &errors)?;
    check(console.is_empty(), "no console error", &console)?;
    Ok(())
}

/// The index of the first event at `from` or later that satisfies `pred`.
fn position(events: &[Value], from: usize, pred: impl Fn(&Value) -> bool) -> Option<usize> {
    events
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, e)| pred(e))
        .map(|(i, _)| i)
}

/// Err(`what`, with the value seen) unless `ok`.
fn check(ok: bool, what: &str, seen: &impl std::fmt::Debug) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("expected: {what}; saw {seen:?}"))
    }
}
