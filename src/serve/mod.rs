//! `marginalia serve`: the dev server. Outside the core: it only calls the
//! pipeline's stages, through [`crate::incremental::LiveSite`], and keeps
//! what they render in memory (it never touches `output/`).
//!
//! - [`http`]: axum routes for the site, the event stream and its script;
//! - [`watch`]: notify (debounced) on content/, static/, themes/,
//!   templates/ and site.yaml;
//! - [`worker`]: applies each batch of changes to the site, publishes what
//!   changed and tells open pages (Server-Sent Events);
//! - [`store`]: the served files.
//!
//! The server listens at once. Until the whole site is built, a request
//! waits for phase one (every front matter and sidecar read), then is
//! answered from [`OnDemandSite`] when it can render that page alone, or
//! waits for the whole site (see [`Phase`]); pages answered so are marked
//! with the header `x-marginalia-site: partial`.
//!
//! Threads: the tokio runtime serves HTTP; one worker thread owns the
//! watcher, builds the site and applies changes; renders of out-of-date
//! outputs (and of on-demand pages) that a request needs run on tokio's
//! blocking pool. Locks are always taken in the order `live` then `store`.

mod conn;
pub mod http;
pub mod store;
pub mod watch;
mod worker;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch as tokio_watch};

use crate::config::BuildOptions;
use crate::error::{Diagnostic, Diagnostics};
use crate::incremental::LiveSite;
use crate::incremental::on_demand::OnDemandSite;
use store::{Entry, Store};

/// What `marginalia serve` is asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    pub drafts: bool,
    /// Open the site in a browser once it is served.
    pub open: bool,
}

/// What the server tells the person running it. The CLI prints these.
#[derive(Debug)]
pub enum Notice {
    /// The first build begins (it can take a while on a big archive).
    Building {
        url: String,
    },
    /// The site is served at `url`.
    Listening {
        url: String,
        /// Set when bound to an address other machines can reach.
        warning: Option<String>,
    },
    /// Phase one is done: every front matter and sidecar is read, and
    /// pages are rendered as they are asked for until the whole site is.
    Read {
        documents: usize,
        elapsed: Duration,
    },
    /// The first build finished.
    Built {
        pages: usize,
        articles: usize,
        notes: usize,
        elapsed: Duration,
    },
    /// A change was applied.
    Rebuilt {
        /// Documents re-rendered from Markdown.
        documents: usize,
        /// Outputs whose bytes changed.
        outputs: usize,
        full: bool,
        /// From the first file event of the batch to the first reload
        /// sent (includes the debounce wait).
        since_event: Duration,
        /// From the debounced batch reaching the worker to the first
        /// reload sent.
        since_batch: Duration,
        /// The time spent applying the change.
        elapsed: Duration,
    },
    /// Errors: the last good site is still served.
    Problems(Diagnostics),
    /// Warnings of an applied change.
    Warnings(Vec<Diagnostic>),
    /// The errors are fixed.
    Recovered,
    /// Something the server could not do (watching a folder, opening a
    /// browser) that does not stop it.
    Trouble(String),
    Stopping,
}

/// Receives the server's notices.
pub trait Reporter: Send + Sync + 'static {
    fn notice(&self, notice: Notice);
}

/// A message to open pages.
#[derive(Debug, Clone)]
pub enum Event {
    /// Sent first on every connection.
    Hello,
    /// These outputs changed (`*`: reload everything).
    Reload(Vec<String>),
    /// Only these stylesheets changed.
    Css(Vec<String>),
    /// The current errors, as text.
    Problems(String),
    /// The errors are gone.
    Ok,
}

/// How far the first build is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading every front matter and sidecar: requests wait.
    Reading,
    /// The pages [`OnDemandSite`] can render are rendered when asked for;
    /// the rest wait.
    Filling,
    /// The first build is done (or failed): the store answers.
    Ready,
}

/// What the HTTP side and the worker share.
pub struct Shared {
    /// The last good site (`None` until a build succeeds).
    live: RwLock<Option<LiveSite>>,
    /// Phase one's site while the first build goes on.
    on_demand: RwLock<Option<Arc<OnDemandSite>>>,
    phase: tokio_watch::Sender<Phase>,
    /// A file changed before the first build was done: phase one's site
    /// may be out of date, so nothing more is answered from it.
    changed_early: AtomicBool,
    store: RwLock<Store>,
    /// The errors of the last attempt, while they last.
    problems: RwLock<Option<String>>,
    events: broadcast::Sender<Event>,
    shutdown: tokio_watch::Sender<bool>,
    /// The site root, resolved (copied files must stay inside it).
    root: PathBuf,
    /// Which `Host:` headers are answered.
    hosts: http::HostRule,
}

impl Shared {
    fn new(root: PathBuf, hosts: http::HostRule) -> Shared {
        Shared {
            hosts,
            live: RwLock::new(None),
            on_demand: RwLock::new(None),
            phase: tokio_watch::channel(Phase::Reading).0,
            changed_early: AtomicBool::new(false),
            store: RwLock::new(Store::new()),
            problems: RwLock::new(None),
            events: broadcast::channel(256).0,
            shutdown: tokio_watch::channel(false).0,
            root,
        }
    }

    fn set_phase(&self, phase: Phase) {
        self.phase.send_replace(phase);
    }

    /// Phase one's site, while pages are answered from it.
    fn on_demand(&self) -> Option<Arc<OnDemandSite>> {
        if self.changed_early.load(Ordering::SeqCst) {
            return None;
        }
        self.on_demand.read().ok().and_then(|o| o.clone())
    }

    fn problems_text(&self) -> Option<String> {
        self.problems.read().ok().and_then(|p| p.clone())
    }

    /// `text` with the site root taken off its paths: the browser page and
    /// its event stream show `content/x.md`, never where the site sits on
    /// this machine.
    fn relative(&self, text: String) -> String {
        let mut root = self.root.display().to_string();
        if !root.ends_with('/') {
            root.push('/');
        }
        text.replace(&root, "")
    }

    fn send(&self, e: Event) {
        // No receiver (no open page) is fine.
        let _ = self.events.send(e);
    }

    /// The current entry for an output path, rendering it first when it
    /// is out of date.
    fn entry(&self, path: &str) -> Option<Entry> {
        {
            let store = self.store.read().ok()?;
            if !store.is_stale(path) {
                return store.get(path).cloned();
            }
        }
        // Render from the site as it is now, and publish while still
        // holding the site, so a newer change cannot be overwritten.
        let live = self.live.read().ok()?;
        let rendered = live.as_ref().and_then(|l| l.render_path(path));
        let mut store = self.store.write().ok()?;
        if store.is_stale(path)
            && let Some(Ok(p)) = rendered
        {
            store.publish(vec![(path.to_string(), p)]);
        }
        store.get(path).cloned()
    }
}

/// The text of diagnostics as the terminal and the page overlay show it.
pub fn problems_text(diags: &Diagnostics) -> String {
    let mut s = String::new();
    for d in diags.iter().filter(|d| d.is_error()) {
        s.push_str(&d.to_string());
        s.push('\n');
    }
    let n = diags.error_count();
    s.push_str(&format!("{n} error{}\n", if n == 1 { "" } else { "s" }));
    s
}

/// Runs the server until Ctrl-C. Returns an error only when it cannot
/// start (the root is missing, the port is taken).
pub fn run(options: ServeOptions, reporter: Arc<dyn Reporter>) -> Result<(), Diagnostic> {
    let root = options
        .root
        .canonicalize()
        .map_err(|e| Diagnostic::io(&options.root, "use this folder as the site root", &e))?;
    let listener = std::net::TcpListener::bind(SocketAddr::new(options.bind, options.port))
        .map_err(|e| {
            Diagnostic::error(
                None,
                format!("could not listen on {}:{}: {e}", options.bind, options.port),
            )
            .with_help("pick another port with --port (0 picks a free one)")
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Diagnostic::error(None, format!("could not read the bound address: {e}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Diagnostic::error(None, format!("could not set up the listener: {e}")))?;
    let host = match addr.ip() {
        ip if ip.is_unspecified() => "localhost".to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let url = format!("http://{host}:{}/", addr.port());
    let build = BuildOptions {
        root: root.clone(),
        output: None,
        base_url: Some(url.clone()),
        drafts: options.drafts,
    };
    let shared = Arc::new(Shared::new(
        root.clone(),
        http::HostRule::new(addr.ip(), addr.port()),
    ));

    // Watch before the site is read and before saying where it is: a
    // change made as soon as the address is known must be seen. The
    // worker builds the site first; requests are answered meanwhile.
    let started = Instant::now();
    reporter.notice(Notice::Building { url: url.clone() });
    let worker = worker::start(shared.clone(), build, reporter.clone(), started)?;

    let warning = (!addr.ip().is_loopback()).then(|| {
        format!(
            "serving on {}, which other machines may reach: anyone who can connect sees the site, drafts included if --drafts; requests naming {} are answered{}",
            addr.ip(),
            if addr.ip().is_unspecified() { "any IP address of this machine".to_string() } else { addr.ip().to_string() },
            " (and localhost), but no other host name"
        )
    });
    reporter.notice(Notice::Listening {
        url: url.clone(),
        warning,
    });
    if options.open
        && let Err(e) = open_browser(&url)
    {
        reporter.notice(Notice::Trouble(format!("could not open a browser: {e}")));
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Diagnostic::error(None, format!("could not start the server: {e}")))?;
    let result = runtime.block_on(async {
        let listener = conn::Guarded::new(tokio::net::TcpListener::from_std(listener)?);
        let app = http::router(shared.clone());
        let stop = shared.clone();
        let reporter = reporter.clone();
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = tokio::signal::ctrl_c().await;
                reporter.notice(Notice::Stopping);
                // Ends every event stream, so open connections close.
                let _ = stop.shutdown.send(true);
            })
            .await
    });
    worker.stop();
    runtime.shutdown_timeout(Duration::from_secs(1));
    result.map_err(|e| Diagnostic::error(None, format!("the server stopped: {e}")))
}

/// Opens `url` in the system's browser.
fn open_browser(url: &str) -> std::io::Result<()> {
    let mut cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    cmd.arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
}
