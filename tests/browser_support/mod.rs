//! Real-browser tests: a headless Chromium driven over the DevTools protocol (CDP) on a plain
//! blocking WebSocket (tungstenite + serde_json), for the tests that must see what a browser
//! sees (issue 13: reload after readiness, CSS hot-swap, never a browser error page).
//!
//! Small and blocking on purpose: every call has a deadline that turns a hang into a failure,
//! waits are on events or on conditions evaluated in the page, never on a bare sleep, and every
//! process (Chromium's, the app's) lives in a process group killed on drop.
//!
//! - [`browser`]: [`Browser::launch`], one Chromium with a temp profile; [`Browser::page`];
//! - [`page`]: [`Page`]: navigate, reload, eval, wait_for, navigations, console and error pages;
//! - [`cdp`]: one DevTools connection: commands by id, events in order;
//! - [`group`]: a process group with a log, killed on drop (Chromium, the app under test).
//!
//! Needs `crate::support` (a test file using this declares `mod support;` too).

#![allow(dead_code)] // each test file uses a different part of the harness

pub mod browser;
pub mod cdp;
pub mod group;
pub mod page;

use std::time::Duration;

pub use browser::Browser;
#[allow(unused_imports)] // not every test file names every type
pub use group::Group;
#[allow(unused_imports)]
pub use page::{Navigation, Page};

/// Chromium's start, up to its DevTools port: seconds, more on a cold disk cache.
pub const LAUNCH: Duration = Duration::from_secs(60);
/// One DevTools command: milliseconds in practice.
pub const COMMAND: Duration = Duration::from_secs(30);
/// A page load from the local app (or Chromium's error page).
pub const LOAD: Duration = Duration::from_secs(30);
/// How often conditions are polled.
const POLL: Duration = Duration::from_millis(20);
