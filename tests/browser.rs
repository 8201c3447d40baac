//! Real-browser tests: a headless Chromium over the DevTools protocol (tests/browser_support)
//! against the go-web fixture served directly, proving the harness sees what the proxy's
//! browser tests will check: a stylesheet swapped in place with no navigation, a template edit
//! shown on reload, and Chromium's own error page when the app is gone.

mod browser_support;
mod support;

use std::net::SocketAddr;
use std::process::Command;
use std::time::Instant;

use browser_support::{Browser, Group};
use nix::sys::signal::Signal;
use support::{
    Fixture, SHORT, free_port, pid_alive, process_group_alive, require_go, scrub_env, wait_body,
};

/// The go-web app built from a fixture copy and running on a free loopback port.
struct App {
    /// First, so that the app is killed before its directory is removed.
    group: Group,
    addr: SocketAddr,
    fixture: Fixture,
}

impl App {
    /// Copies go-web, `go build -o tmp/app .`, runs it with `PORT=<free port>` and waits until
    /// `/version` answers `v1`.
    fn start() -> Result<App, String> {
        require_go();
        let fixture = Fixture::copy("go-web");
        let build = Command::new("go")
            .args(["build", "-o", "tmp/app", "."])
            .current_dir(fixture.path())
            .output()
            .map_err(|e| format!("run go build: {e}"))?;
        if !build.status.success() {
            return Err(format!(
                "go build of go-web failed ({}):\n{}",
                build.status,
                String::from_utf8_lossy(&build.stderr)
            ));
        }
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut cmd = Command::new(fixture.file("tmp/app"));
        scrub_env(&mut cmd)
            .env("PORT", addr.port().to_string())
            .current_dir(fixture.path());
        let group = Group::spawn(&mut cmd, "the go-web app", &fixture.file("tmp/app.log"))?;
        wait_body(addr, "/version", "v1", SHORT)
            .map_err(|e| format!("{e}; app output:\n{}", group.log_tail(20)))?;
        Ok(App {
            group,
            addr,
            fixture,
        })
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// What the proxy's client script will do on a CSS change: the stylesheet's href gets a
/// cache-busting query, in place (no navigation).
const SWAP_STYLESHEET: &str = r#"(() => {
  const link = document.querySelector('link[rel="stylesheet"]');
  const url = new URL(link.href);
  url.searchParams.set('hotdev', String(Date.now()));
  link.href = url.href;
  return link.href;
})()"#;

const BACKGROUND: &str = "getComputedStyle(document.body).backgroundColor";
const WHITE: &str = "rgb(255, 255, 255)";
const GREEN: &str = "rgb(0, 128, 0)";

#[test]
fn chromium_sees_a_css_swap_without_navigation_a_template_edit_on_reload_and_its_error_page() {
    if let Err(e) = css_template_and_error_page() {
        panic!("{e}");
    }
}

fn css_template_and_error_page() -> Result<(), String> {
    let started = Instant::now();
    // What the page showed at each step, with the time since the start (`--nocapture`).
    macro_rules! note {
        ($($arg:tt)*) => {
            eprintln!("[{:>5.2}s] {}", started.elapsed().as_secs_f32(), format!($($arg)*))
        };
    }
    let mut app = App::start()?;
    note!("0. go-web built and serving on {}", app.addr);
    let mut browser = Browser::launch()?;
    note!("0. {} launched", browser.version());
    let mut page = browser.page()?;

    // 1. The page as served.
    let first = page.navigate(&app.url())?;
    let version = page.text("#version")?;
    let background = page.eval(BACKGROUND)?;
    note!("1. opened {first:?}: #version {version:?}, background {background}");
    check(version == "v1", "#version is v1", &version)?;
    check(background == WHITE, "a white background", &background)?;
    check(!first.error_page, "the first load is no error page", &first)?;

    // 2. A CSS edit on disk, swapped in place: the new style, the same document.
    page.eval("window.marker = 'kept'; document.querySelector('#name').value = 'typed'")?;
    let before = page.navigations()?.len();
    app.fixture.replace("static/style.css", WHITE, GREEN);
    let href = page.eval(SWAP_STYLESHEET)?;
    let condition = format!("{BACKGROUND} === '{GREEN}' && {BACKGROUND}");
    let swapped = page.wait_for(&condition, SHORT, "the swapped stylesheet's background")?;
    let marker = page.eval("window.marker ?? null")?;
    let typed = page.eval("document.querySelector('#name').value")?;
    let after = page.navigations()?.len();
    note!(
        "2. swapped the stylesheet to {href}: background {swapped}, window.marker {marker}, \
         #name {typed}, navigations {before} -> {after}"
    );
    check(
        marker == "kept",
        "the JS variable survives the swap",
        &marker,
    )?;
    check(typed == "typed", "form state survives the swap", &typed)?;
    check(
        after == before,
        "the swap is no navigation",
        &(before, after),
    )?;

    // 3. A template edit on disk, shown on reload: a new document.
    let edited = "Edited on disk, shown on reload.";
    app.fixture.replace(
        "templates/index.html",
        "Hello from templates/index.html.",
        edited,
    );
    let reloaded = page.reload()?;
    let message = page.text("#message")?;
    let marker = page.eval("window.marker ?? null")?;
    let navigations = page.navigations()?.len();
    let errors = page.error_pages()?;
    let console = page.console_errors()?;
    note!(
        "3. reloaded {reloaded:?}: #message {message:?}, window.marker {marker}, \
         navigations {navigations}, error pages {errors:?}, console errors {console:?}"
    );
    check(message == edited, "the edited template shows", &message)?;
    check(marker.is_null(), "the reload is a new document", &marker)?;
    check(
        navigations == after + 1,
        "one more navigation",
        &navigations,
    )?;
    check(
        errors.is_empty(),
        "no error page while the app serves",
        &errors,
    )?;
    check(
        console.is_empty(),
        "no console error while it serves",
        &console,
    )?;

    // 4. The app is gone: a reload shows Chromium's error page, and the harness says so.
    // SIGKILL, as a crash: on SIGTERM go-web's graceful shutdown took 5 s here, waiting on
    // Chromium's open connections (net/http treats one that never sent a request as idle only
    // once it is 5 s old, and Chromium preconnects).
    app.group
        .signal_and_wait(Signal::SIGKILL, SHORT)
        .map_err(|e| format!("stop the app: {e}"))?;
    let gone = page.reload()?;
    let errors = page.error_pages()?;
    note!("4. stopped the app, reloaded {gone:?}: error pages {errors:?}");
    check(gone.error_page, "the reload shows the error page", &gone)?;
    check(!errors.is_empty(), "error_pages() reports it", &errors)?;

    // 5. Console errors are seen (the proxy tests will check that there are none).
    page.eval("console.error('probe', 42)")?;
    let console = page.console_errors()?;
    note!("5. console errors after a console.error probe: {console:?}");
    let probe = ["console.error: probe 42"];
    check(console == probe, "console_errors() has the probe", &console)?;

    // 6. Nothing of Chromium is left once the browser is dropped.
    let pgid = browser.pgid();
    let processes = browser.processes();
    drop(page);
    drop(browser);
    support::wait_until(SHORT, "chromium's processes to end", || {
        !process_group_alive(pgid) && !processes.iter().any(|pid| pid_alive(*pid))
    })?;
    note!(
        "6. dropped the browser: its {} processes are gone",
        processes.len()
    );
    Ok(())
}

/// Err(`what`, with the value seen) unless `ok`.
fn check(ok: bool, what: &str, seen: &impl std::fmt::Debug) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("expected: {what}; saw {seen:?}"))
    }
}
