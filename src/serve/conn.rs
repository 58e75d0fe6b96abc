//! Connections of the dev server, capped and timed out, so idle sockets
//! cannot starve it (about 20,000 idle connections, the open-file limit,
//! once kept it from answering for most of each half minute).
//!
//! - At most [`MAX_CONNECTIONS`] are open at once. When a new one arrives
//!   and all are taken, the one idle the longest is closed to make room (a
//!   live-reload stream reconnects by itself). A new connection is never
//!   refused: refusing newcomers is what let a flood of idle sockets lock
//!   real requests out, and a real request, once it sends its bytes, is no
//!   longer the idlest.
//! - A connection that neither sends nor receives a byte for [`IDLE`] is
//!   closed (live-reload streams send a keep-alive well within it).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

pub const MAX_CONNECTIONS: usize = 256;
pub const IDLE: Duration = Duration::from_secs(30);

/// What the listener knows of an open connection.
struct Slot {
    /// Milliseconds since the listener started, at the last byte either way.
    last: AtomicU64,
    closed: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Slot {
    fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        if let Some(w) = self.waker.lock().ok().and_then(|mut w| w.take()) {
            w.wake();
        }
    }
}

/// The server's listener, with the cap.
pub struct Guarded {
    inner: TcpListener,
    started: Instant,
    open: Vec<Weak<Slot>>,
    max: usize,
}

impl Guarded {
    pub fn new(inner: TcpListener) -> Guarded {
        // MARGINALIA_SERVE_MAX_CONNECTIONS: for tests that fill the cap.
        let max = std::env::var("MARGINALIA_SERVE_MAX_CONNECTIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or(MAX_CONNECTIONS);
        Guarded {
            inner,
            started: Instant::now(),
            open: Vec::new(),
            max,
        }
    }

    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Makes room for one more connection: closes the idlest when full.
    fn make_room(&mut self) {
        self.open.retain(|w| {
            w.upgrade()
                .is_some_and(|s| !s.closed.load(Ordering::Relaxed))
        });
        if self.open.len() < self.max {
            return;
        }
        let idlest = self
            .open
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.upgrade().map(|s| (i, s)))
            .min_by_key(|(_, s)| s.last.load(Ordering::Relaxed));
        if let Some((i, s)) = idlest {
            s.close();
            self.open.swap_remove(i);
        }
    }
}

impl axum::serve::Listener for Guarded {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = match self.inner.accept().await {
                Ok(s) => s,
                Err(_) => {
                    // Out of file descriptors and the like: let some close.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            self.make_room();
            let slot = Arc::new(Slot {
                last: AtomicU64::new(self.now()),
                closed: AtomicBool::new(false),
                waker: Mutex::new(None),
            });
            self.open.push(Arc::downgrade(&slot));
            let stream = GuardedStream {
                inner: stream,
                slot,
                started: self.started,
                timer: Box::pin(tokio::time::sleep(IDLE)),
            };
            return (stream, addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that closes itself when idle or evicted.
pub struct GuardedStream {
    inner: TcpStream,
    slot: Arc<Slot>,
    started: Instant,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl GuardedStream {
    fn touch(&mut self) {
        let now = self.started.elapsed();
        self.slot
            .last
            .store(now.as_millis() as u64, Ordering::Relaxed);
        self.timer
            .as_mut()
            .reset(tokio::time::Instant::now() + IDLE);
    }

    /// Whether the connection must end now (evicted, or idle too long).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if let Ok(mut w) = self.slot.waker.lock() {
            *w = Some(cx.waker().clone());
        }
        if self.slot.closed.load(Ordering::Relaxed) {
            return true;
        }
        self.timer.as_mut().poll(cx).is_ready()
    }
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "idle connection closed")
}

use std::future::Future as _;

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.touch();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(gone())),
            other => other,
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.slot.closed.load(Ordering::Relaxed) {
            return Poll::Ready(Err(gone()));
        }
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                self.touch();
                Poll::Ready(Ok(n))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(gone())),
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Drop for GuardedStream {
    fn drop(&mut self) {
        self.slot.closed.store(true, Ordering::Relaxed);
    }
}
