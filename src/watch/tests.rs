use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::*;
use crate::bus::{self, Receiver};
use crate::engine::ChangeSet;

/// Turns a hang into a failure; never used to wait for something to happen.
const DEADLINE: Duration = Duration::from_secs(20);

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new(files: &[&str]) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        let f = Fixture { _dir: dir, root };
        for path in files {
            f.create(path);
        }
        f
    }

    /// `dir/` makes a directory, `name=text` a file with that text, `name` an empty file.
    fn create(&self, spec: &str) {
        let (path, text) = spec.split_once('=').unwrap_or((spec, ""));
        let p = self.p(path);
        if path.ends_with('/') {
            fs::create_dir_all(&p).expect("mkdir");
        } else {
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(&p, text).expect("write");
        }
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn cfg(&self) -> WatchConfig {
        WatchConfig::under(&self.root)
    }

    fn start(&self, cfg: &WatchConfig) -> (Watcher, Receiver) {
        let (tx, rx) = bus::channel();
        let filter = Filter::new(cfg, &self.root).expect("filter");
        let watch = Watcher::start(cfg, filter, tx).expect("watch");
        // Set-up runs on the watcher's thread; most tests want it done.
        match rx.recv_timeout(DEADLINE) {
            Ok(Input::Watching(_)) => {}
            other => panic!("expected the watcher to be set up, got {other:?}"),
        }
        (watch, rx)
    }
}

/// The next change set, skipping bursts that were filtered out completely.
fn next_change(rx: &Receiver) -> ChangeSet {
    let end = Instant::now() + DEADLINE;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Input::Event(Event::Changed(changes))) => return unnumbered(changes),
            Ok(Input::Ignored(_)) => continue,
            Ok(other) => panic!("unexpected input: {other:?}"),
            Err(e) => panic!("no change within {DEADLINE:?}: {e}"),
        }
    }
}

/// A change set without its burst number, to compare with [`only`]: the numbers are checked
/// by `bursts_are_numbered_and_one_burst_has_one_number_for_every_app`.
fn unnumbered(changes: ChangeSet) -> ChangeSet {
    assert!(changes.burst > 0, "a burst is numbered from 1: {changes:?}");
    ChangeSet {
        burst: 0,
        ..changes
    }
}

fn only(paths: &[&Path]) -> ChangeSet {
    ChangeSet {
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        assets: vec![],
        overflow: false,
        tentative: false,
        burst: 0,
    }
}

/// Proves that whatever happened before does not trigger: a sentinel write must be the next
/// (and only) change.
fn assert_next_is_only_sentinel(f: &Fixture, rx: &Receiver) {
    let sentinel = f.p("sentinel.go");
    fs::write(&sentinel, "x").expect("write sentinel");
    assert_eq!(next_change(rx), only(&[&sentinel]));
}

#[test]
fn a_write_is_one_change_naming_the_file() {
    let f = Fixture::new(&["main.go=package main"]);
    let (_w, rx) = f.start(&f.cfg());
    fs::write(f.p("main.go"), "package main // edited").expect("write");
    assert_eq!(next_change(&rx), only(&[&f.p("main.go")]));
    assert_next_is_only_sentinel(&f, &rx);
}

#[test]
fn reading_files_does_not_trigger() {
    let f = Fixture::new(&["main.go=package main"]);
    let (_w, rx) = f.start(&f.cfg());
    fs::read_to_string(f.p("main.go")).expect("read");
    assert_next_is_only_sentinel(&f, &rx);
}

#[test]
fn atomic_save_is_one_change_naming_the_real_file() {
    let f = Fixture::new(&["x.go=old"]);
    let (_w, rx) = f.start(&f.cfg());
    fs::write(f.p(".x.go.tmp"), "new").expect("write temp");
    fs::rename(f.p(".x.go.tmp"), f.p("x.go")).expect("rename");
    assert_eq!(next_change(&rx), only(&[&f.p("x.go")]));
    assert_next_is_only_sentinel(&f, &rx);
}

#[test]
fn ignored_paths_never_trigger() {
    let f = Fixture::new(&[
        ".gitignore=*.log\nnode_modules/\n",
        "api/.gitignore=gen.go\n",
        ".git/",
        "node_modules/",
        "tmp/",
        "out/",
    ]);
    let mut cfg = f.cfg();
    cfg.ignore = vec!["tmp/**".into()];
    cfg.never = vec![f.p("out")];
    let (_w, rx) = f.start(&cfg);
    for spec in [
        "app.log",
        "api/gen.go",
        "node_modules/x.js",
        "tmp/app",
        "out/app",
        ".git/index",
        ".main.go.swp",
        "4913",
        "main.go~",
    ] {
        f.create(spec);
    }
    assert_next_is_only_sentinel(&f, &rx);
}

#[test]
fn include_beats_gitignore() {
    let f = Fixture::new(&[".gitignore=*.gen.go\n"]);
    let mut cfg = f.cfg();
    cfg.include = vec!["keep.gen.go".into()];
    let (_w, rx) = f.start(&cfg);
    f.create("skip.gen.go");
    f.create("keep.gen.go");
    assert_eq!(next_change(&rx), only(&[&f.p("keep.gen.go")]));
}

#[test]
fn extensions_filter_files() {
    let f = Fixture::new(&[]);
    let mut cfg = f.cfg();
    cfg.extensions = vec!["go".into()];
    let (_w, rx) = f.start(&cfg);
    f.create("README.md");
    assert_next_is_only_sentinel(&f, &rx);
}

#[test]
fn a_directory_created_after_start_is_watched() {
    let f = Fixture::new(&[]);
    let mut cfg = f.cfg();
    cfg.extensions = vec!["go".into()];
    let (w, rx) = f.start(&cfg);
    assert_eq!(w.watched_dirs(), 1);
    // Created together: the file exists before the directory's watch can be added.
    f.create("pkg/deep/a.go");
    let first = next_change(&rx);
    assert!(first.paths.contains(&f.p("pkg/deep/a.go")), "{first:?}");
    assert_eq!(w.watched_dirs(), 3);
    // And later writes inside are seen through the new watch.
    fs::write(f.p("pkg/deep/b.go"), "x").expect("write");
    assert_eq!(next_change(&rx), only(&[&f.p("pkg/deep/b.go")]));
}

#[test]
fn deleting_a_watched_directory_breaks_nothing() {
    let f = Fixture::new(&["pkg/sub/a.go", "main.go"]);
    let (w, rx) = f.start(&f.cfg());
    assert_eq!(w.watched_dirs(), 3);
    fs::remove_dir_all(f.p("pkg")).expect("rm -r");
    let gone = next_change(&rx);
    assert!(gone.paths.contains(&f.p("pkg")), "{gone:?}");
    fs::write(f.p("main.go"), "x").expect("write");
    assert_eq!(next_change(&rx), only(&[&f.p("main.go")]));
    assert_eq!(w.watched_dirs(), 1);
    // A directory of the same name can come back and is watched again.
    f.create("pkg/b.go");
    assert!(next_change(&rx).paths.contains(&f.p("pkg/b.go")));
    fs::write(f.p("pkg/b.go"), "y").expect("write");
    assert_eq!(next_change(&rx), only(&[&f.p("pkg/b.go")]));
}

/// Waits for a change set naming `path`, skipping any other burst on the way.
fn wait_change_naming(rx: &Receiver, path: &Path) -> ChangeSet {
    let end = Instant::now() + DEADLINE;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Input::Event(Event::Changed(changes)))
                if changes.paths.iter().any(|p| p == path) =>
            {
                return changes;
            }
            Ok(_) => continue,
            Err(e) => panic!(
                "no change naming {} within {DEADLINE:?}: {e}",
                path.display()
            ),
        }
    }
}

/// `dir` is removed and made again (at once, or after its removal was seen), a file is
/// written in it before its new watch can exist; then a later edit inside must be seen too.
fn recreated_directory_is_watched_again(dir: &str, pause: bool, how: fn(&Fixture, &str)) {
    let f = Fixture::new(&[&format!("{dir}/old.go=x"), "main.go"]);
    let (w, rx) = f.start(&f.cfg());
    let dirs = w.watched_dirs();
    how(&f, dir);
    if pause {
        wait_change_naming(&rx, &f.p(&format!("{dir}/old.go")));
    }
    fs::create_dir_all(f.p(dir)).expect("mkdir");
    fs::write(f.p(&format!("{dir}/a.go")), "x").expect("write");
    wait_change_naming(&rx, &f.p(&format!("{dir}/a.go")));
    // The new directory has a live watch of its own: an edit made long after is seen.
    assert!(
        wait_until_watched(&w, dirs),
        "{} watches, expected {dirs}",
        w.watched_dirs()
    );
    fs::write(f.p(&format!("{dir}/b.go")), "y").expect("write");
    wait_change_naming(&rx, &f.p(&format!("{dir}/b.go")));
}

fn wait_until_watched(w: &Watcher, dirs: usize) -> bool {
    let end = Instant::now() + DEADLINE;
    while Instant::now() < end {
        if w.watched_dirs() == dirs {
            return true;
        }
        std::thread::yield_now();
    }
    false
}

fn rm_rf(f: &Fixture, dir: &str) {
    fs::remove_dir_all(f.p(dir)).expect("rm -rf");
}

fn mv_away(f: &Fixture, dir: &str) {
    fs::rename(f.p(dir), f.p("moved-away")).expect("mv");
    fs::remove_dir_all(f.p("moved-away")).expect("rm moved");
}

#[test]
fn a_directory_removed_and_recreated_at_once_is_watched_again() {
    recreated_directory_is_watched_again("src", false, rm_rf);
}

#[test]
fn a_directory_removed_and_recreated_after_a_pause_is_watched_again() {
    recreated_directory_is_watched_again("src", true, rm_rf);
}

#[test]
fn a_directory_two_deep_removed_and_recreated_at_once_is_watched_again() {
    recreated_directory_is_watched_again("a/b", false, rm_rf);
}

#[test]
fn a_directory_two_deep_removed_and_recreated_after_a_pause_is_watched_again() {
    recreated_directory_is_watched_again("a/b", true, rm_rf);
}

#[test]
fn a_directory_moved_away_and_recreated_is_watched_again() {
    recreated_directory_is_watched_again("src", false, mv_away);
    recreated_directory_is_watched_again("a/b", false, mv_away);
}

#[test]
fn gitignored_node_modules_gets_no_watch() {
    let mut files = vec![".gitignore=node_modules/\n", "src/a/", "src/b/"];
    let deps: Vec<String> = (0..20)
        .map(|i| format!("node_modules/dep{i}/lib/"))
        .collect();
    files.extend(deps.iter().map(String::as_str));
    let f = Fixture::new(&files);
    let (w, _rx) = f.start(&f.cfg());
    // root, src, src/a, src/b
    assert_eq!(w.watched_dirs(), 4);
}

#[test]
fn a_new_gitignore_rule_applies_without_restart() {
    let f = Fixture::new(&[".gitignore=", "gen/"]);
    let (w, rx) = f.start(&f.cfg());
    assert_eq!(w.watched_dirs(), 2);
    fs::write(f.p(".gitignore"), "gen/\n").expect("write");
    assert_eq!(next_change(&rx), only(&[&f.p(".gitignore")]));
    assert_eq!(w.watched_dirs(), 1);
    f.create("gen/x.go");
    assert_next_is_only_sentinel(&f, &rx);
}

#[test]
fn poll_mode_sees_writes_and_new_directories() {
    let f = Fixture::new(&["main.go=a"]);
    let mut cfg = f.cfg();
    cfg.poll = Some(Duration::from_millis(50));
    let (_w, rx) = f.start(&cfg);
    fs::write(f.p("main.go"), "changed content").expect("write");
    assert_eq!(next_change(&rx), only(&[&f.p("main.go")]));
    // An empty new directory is no change; the file that follows in it is.
    f.create("pkg/");
    f.create("pkg/x.go");
    let last = next_change(&rx);
    assert!(last.paths.contains(&f.p("pkg/x.go")), "{last:?}");
}

#[test]
fn missing_root_is_a_one_line_error() {
    let f = Fixture::new(&[]);
    let mut cfg = f.cfg();
    cfg.paths = vec![f.p("nope")];
    let (tx, _rx) = bus::channel();
    let filter = Filter::new(&cfg, &f.root).expect("filter");
    let err = Watcher::start(&cfg, filter, tx).err().expect("error");
    let msg = err.to_string();
    assert!(msg.contains("nope") && !msg.contains('\n'), "{msg}");
}

#[test]
fn inotify_limits_name_the_sysctl_and_poll() {
    let watches = WatchError::from(notify::Error::new(ErrorKind::MaxFilesWatch)).to_string();
    assert!(watches.contains("sudo sysctl fs.inotify.max_user_watches=524288"));
    assert!(watches.contains("--poll") && !watches.contains('\n'));
    let emfile = std::io::Error::from_raw_os_error(Errno::EMFILE as i32);
    let instances = WatchError::from(notify::Error::io(emfile)).to_string();
    assert!(instances.contains("fs.inotify.max_user_instances"));
    assert!(instances.contains("--poll") && !instances.contains('\n'));
}

#[test]
fn dropping_the_watch_stops_sending() {
    let f = Fixture::new(&[]);
    let (w, rx) = f.start(&f.cfg());
    drop(w);
    f.create("a.go");
    // The sender went with the worker: the channel is closed, not just quiet.
    assert!(matches!(
        rx.recv_timeout(DEADLINE),
        Err(mpsc::RecvTimeoutError::Disconnected)
    ));
}

#[test]
fn queue_overflow_is_a_change_flagged_overflow_and_rewatches() {
    use notify::event::Flag;
    let f = Fixture::new(&["pkg/"]);
    let cfg = f.cfg();
    let (tx, rx) = bus::channel();
    let mut worker = Worker {
        bursts: 0,
        backend: Backend::new(None, |_: notify::Result<notify::Event>| {}, &tx).expect("backend"),
        filter: Arc::new(Routes(vec![Route::new(
            &cfg,
            Filter::new(&cfg, &f.root).expect("filter"),
            tx.clone(),
        )])),
        dirs: BTreeSet::new(),
        roots: cfg.paths.clone(),
        files: BTreeSet::new(),
        named: BTreeSet::new(),
        anchors: BTreeSet::new(),
        fresh: std::collections::HashMap::new(),
        follow: None,
        fault_limit: None,
        per_dir: true,
        debounce: Duration::from_millis(5),
        settle: None,
        track_writes: true,
        watched: Arc::new(AtomicUsize::new(0)),
        limit_reported: false,
        tx,
    };
    // As if the events of a directory's creation were lost with the overflow.
    let lost = notify::Event::new(EventKind::Other).set_flag(Flag::Rescan);
    assert_eq!(
        worker.handle(&[lost], false),
        Sent::Change([0].into_iter().collect())
    );
    match rx.try_recv() {
        Ok(Input::Event(Event::Changed(changes))) => assert!(changes.overflow, "{changes:?}"),
        other => panic!("expected an overflow change set, got {other:?}"),
    }
    assert_eq!(worker.dirs.len(), 2, "the rescan watches what is there");
}

// Speculative builds: with `settle`, a paused burst is sent early as a tentative change, then
// confirmed by `Settled` or followed by what came after.

fn next_input(rx: &Receiver) -> Event {
    let end = Instant::now() + DEADLINE;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Input::Event(Event::Changed(changes))) => {
                return Event::Changed(unnumbered(changes));
            }
            Ok(Input::Event(event @ (Event::Settled | Event::Unsettled))) => return event,
            Ok(Input::Ignored(_)) => continue,
            Ok(other) => panic!("unexpected input: {other:?}"),
            Err(e) => panic!("nothing within {DEADLINE:?}: {e}"),
        }
    }
}

fn speculative(f: &Fixture, debounce: Duration) -> WatchConfig {
    WatchConfig {
        debounce,
        settle: Some(Duration::from_millis(5)),
        ..f.cfg()
    }
}

fn tentative_of(paths: &[&Path]) -> Event {
    Event::Changed(ChangeSet {
        tentative: true,
        ..only(paths)
    })
}

#[test]
fn a_paused_burst_is_sent_early_as_tentative_then_settles() {
    let f = Fixture::new(&["x.go=old"]);
    let (_w, rx) = f.start(&speculative(&f, Duration::from_millis(300)));
    fs::write(f.p(".x.go.tmp"), "new").expect("write temp");
    fs::rename(f.p(".x.go.tmp"), f.p("x.go")).expect("rename");
    assert_eq!(next_input(&rx), tentative_of(&[&f.p("x.go")]));
    assert_eq!(next_input(&rx), Event::Settled);
    let sentinel = f.p("sentinel.go");
    fs::write(&sentinel, "x").expect("write sentinel");
    assert_eq!(next_input(&rx), tentative_of(&[&sentinel]));
    assert_eq!(next_input(&rx), Event::Settled);
}

#[test]
fn a_burst_that_goes_on_is_unsettled_then_sends_the_rest() {
    let f = Fixture::new(&["a.go", "b.go"]);
    // The debounce is long enough that the second write surely lands inside the burst.
    let (_w, rx) = f.start(&speculative(&f, Duration::from_secs(2)));
    fs::write(f.p("a.go"), "1").expect("write a");
    assert_eq!(next_input(&rx), tentative_of(&[&f.p("a.go")]));
    fs::write(f.p("b.go"), "1").expect("write b");
    assert_eq!(
        next_input(&rx),
        Event::Unsettled,
        "at once, not when the burst ends"
    );
    assert_eq!(
        next_input(&rx),
        Event::Changed(only(&[&f.p("b.go")])),
        "once per burst: the rest waits for the debounce, and is not tentative"
    );
    let sentinel = f.p("sentinel.go");
    fs::write(&sentinel, "x").expect("write sentinel");
    assert_eq!(next_input(&rx), tentative_of(&[&sentinel]));
}

#[test]
fn a_file_still_open_for_writing_holds_the_burst_until_it_is_closed() {
    use std::io::Write;
    let f = Fixture::new(&["a.go"]);
    let debounce = Duration::from_millis(100);
    let (_w, rx) = f.start(&speculative(&f, debounce));
    let mut open = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(f.p("a.go"))
        .expect("open");
    open.write_all(b"package a").expect("write");
    // The writer takes longer than the debounce to close (a slow fsync, say). This sleep makes
    // that situation; nothing waits on it.
    let closer = std::thread::spawn(move || {
        std::thread::sleep(debounce * 4);
        drop(open);
    });
    // Had the debounce ended the burst, a plain change would come first, then the close as a
    // burst of its own. Instead the burst waits for the close and is complete: sent early.
    assert_eq!(next_input(&rx), tentative_of(&[&f.p("a.go")]));
    assert_eq!(next_input(&rx), Event::Settled);
    closer.join().expect("closer");
    assert_next_is_only_sentinel_burst(&f, &rx);
}

#[test]
fn a_file_never_closed_holds_the_burst_no_longer_than_the_cap() {
    use std::io::Write;
    let f = Fixture::new(&["a.go"]);
    let (_w, rx) = f.start(&speculative(&f, Duration::from_millis(50)));
    let mut open = fs::OpenOptions::new()
        .write(true)
        .open(f.p("a.go"))
        .expect("open");
    open.write_all(b"package a").expect("write");
    let t = Instant::now();
    assert_eq!(next_input(&rx), Event::Changed(only(&[&f.p("a.go")])));
    assert!(t.elapsed() >= MAX_BURST, "sent after {:?}", t.elapsed());
    drop(open);
}

/// With speculation on, a sentinel is a tentative change and its settling.
fn assert_next_is_only_sentinel_burst(f: &Fixture, rx: &Receiver) {
    let sentinel = f.p("sentinel.go");
    fs::write(&sentinel, "x").expect("write sentinel");
    assert_eq!(next_input(rx), tentative_of(&[&sentinel]));
    assert_eq!(next_input(rx), Event::Settled);
}

/// The next change set and the app it went to, skipping everything else.
fn next_routed_change(rx: &Receiver) -> (crate::bus::AppId, ChangeSet) {
    let end = Instant::now() + DEADLINE;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout_tagged(left) {
            Ok((app, Input::Event(Event::Changed(changes)))) => return (app, changes),
            Ok(_) => {}
            Err(e) => panic!("no change within {DEADLINE:?}: {e}"),
        }
    }
}

#[test]
fn one_watcher_routes_each_change_to_the_apps_that_watch_it() {
    let f = Fixture::new(&[
        "cmd/api/main.go",
        "cmd/worker/main.go",
        "internal/lib.go",
        "web/app.js",
    ]);
    let app = |paths: &[&str], extensions: &[&str]| WatchConfig {
        paths: paths.iter().map(|p| f.p(p)).collect(),
        extensions: extensions.iter().map(|e| e.to_string()).collect(),
        ..f.cfg()
    };
    let api = app(&["cmd/api", "internal"], &["go"]);
    let worker = app(&["cmd/worker", "internal"], &["go"]);
    let web = app(&["web"], &[]);
    let (tx, rx) = bus::channel();
    let routes = [&api, &worker, &web]
        .iter()
        .enumerate()
        .map(|(i, cfg)| {
            let filter = Filter::new(cfg, &f.root).expect("filter");
            Route::new(cfg, filter, tx.for_app(i))
        })
        .collect();
    let union = WatchConfig::union(&[&api, &worker, &web]).expect("three configs");
    let watch = Watcher::start_routes(&union, &f.root, Routes(routes), tx).expect("watch");
    match rx.recv_timeout(DEADLINE) {
        Ok(Input::Watching(dirs)) => {
            // internal/ is watched once, for two apps.
            assert_eq!(dirs, 4, "cmd/api, cmd/worker, internal, web");
        }
        other => panic!("expected the watcher to be set up, got {other:?}"),
    }
    assert_eq!(watch.watched_dirs(), 4);

    f.create("cmd/worker/main.go=package main // edited");
    let (to, changes) = next_routed_change(&rx);
    assert_eq!((to, changes.paths), (1, vec![f.p("cmd/worker/main.go")]));

    f.create("web/app.js=edited");
    let (to, changes) = next_routed_change(&rx);
    let earlier = changes.burst;
    assert_eq!((to, changes.paths), (2, vec![f.p("web/app.js")]));

    f.create("internal/lib.go=package internal // edited");
    let mut both = vec![next_routed_change(&rx), next_routed_change(&rx)];
    both.sort_by_key(|(app, _)| *app);
    let apps: Vec<_> = both.iter().map(|(app, _)| *app).collect();
    assert_eq!(apps, vec![0, 1]);
    // One burst, one number for both apps (their builds of one command may be one run),
    // and a later burst has a later number.
    assert_eq!(both[0].1.burst, both[1].1.burst);
    assert!(
        both[0].1.burst > earlier,
        "{} after {earlier}",
        both[0].1.burst
    );
    for (_, changes) in both {
        assert_eq!(changes.paths, vec![f.p("internal/lib.go")]);
    }
    // A file no app's rules accept reaches none: it is reported as ignored, once.
    f.create("internal/notes.txt=x");
    let end = Instant::now() + DEADLINE;
    loop {
        match rx.recv_timeout(end.saturating_duration_since(Instant::now())) {
            Ok(Input::Ignored(paths)) => {
                assert_eq!(paths, vec![f.p("internal/notes.txt")]);
                break;
            }
            Ok(Input::Event(Event::Changed(changes))) => panic!("routed: {changes:?}"),
            Ok(_) => {}
            Err(e) => panic!("nothing within {DEADLINE:?}: {e}"),
        }
    }
}
