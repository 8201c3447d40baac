//! What `hotdev init` found and will write: the [`Plan`] that each project kind's detector
//! (`detect`, `cargo`) fills in and `template` renders. Data only.

/// The language of a project; it picks the comments `template` writes (how the app takes a
/// pre-bound socket, how it reports readiness).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Go,
    Rust,
    Node,
    Python,
    /// Nothing recognised: a skeleton to fill in.
    Unknown,
}

/// What `hotdev init` will write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub kind: Kind,
    /// What was detected, for the user: "Go module example.com/app (go.mod)".
    pub detected: String,
    pub extensions: Vec<String>,
    pub ignore: Vec<String>,
    /// The build command; `None` when the project runs from source.
    pub build: Option<String>,
    /// The run command; `None` when it could not be worked out (the file gets a placeholder).
    pub run: Option<String>,
    /// A commented example for the run command when `run` is `None`.
    pub run_example: String,
    /// The build's output directory, relative to the project (`tmp`, `target`): `init` says
    /// when git does not ignore it yet.
    pub output: Option<String>,
    /// Programs the commands need on PATH (checked by `init`, reported as warnings).
    pub tools: Vec<String>,
    /// Things the user should know: ambiguities and fallbacks.
    pub warnings: Vec<String>,
    /// Set when the project serves web pages (a Go package importing `net/http` or
    /// `html/template`): the file then offers a commented `[proxy]`.
    pub web: Option<Web>,
    /// Several services (a Go module with several `cmd/*`): one `[apps.NAME]` each, all built
    /// by the plan's one `build`. Empty: the plan is one app.
    pub apps: Vec<PlanApp>,
}

/// One app of a multi-app plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanApp {
    pub name: String,
    pub run: String,
    /// Its watch roots: its own package and what it shares with the others.
    pub paths: Vec<String>,
}

/// What `init` found of a web app, for its commented `[proxy]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Web {
    /// What gave it away, e.g. `html/template in main.go`.
    pub evidence: String,
    /// Globs for the template and asset directories that exist (`templates/**`, `static/**`).
    pub reload_only: Vec<String>,
}

/// Owned copies of `items`, for a plan's lists.
pub(super) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}
