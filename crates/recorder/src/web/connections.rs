//! A cap on open connections, in all and per source address, taken as a
//! connection is accepted (before its TLS handshake) and given back when
//! it closes. One phone that opens sockets and sends nothing, or half a
//! request, holds at most its share until the header timeout closes them;
//! past the cap a new connection is closed at once, before rustls sees a
//! byte of it.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How many connections may be open.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    pub total: usize,
    pub per_source: usize,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_source: HashMap<IpAddr, usize>,
}

/// Wraps the acceptor that receives the TCP stream (`axum_server`'s default).
#[derive(Clone, Debug)]
pub struct CappedAcceptor<A> {
    inner: A,
    limits: ConnectionLimits,
    open: Arc<Mutex<Open>>,
}

impl<A> CappedAcceptor<A> {
    pub fn new(inner: A, limits: ConnectionLimits) -> Self {
        CappedAcceptor {
            inner,
            limits,
            open: Default::default(),
        }
    }

    /// A place for a connection from `source`, if the caps leave one.
    fn take(&self, source: IpAddr) -> Option<Place> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let from_source = open.by_source.get(&source).copied().unwrap_or(0);
        if open.total >= self.limits.total || from_source >= self.limits.per_source {
            return None;
        }
        open.total += 1;
        *open.by_source.entry(source).or_default() += 1;
        Some(Place {
            open: self.open.clone(),
            source,
        })
    }
}

/// A connection's place under the caps, given back when it is dropped.
#[derive(Debug)]
pub struct Place {
    open: Arc<Mutex<Open>>,
    source: IpAddr,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_source.get_mut(&self.source) {
            *n -= 1;
            if *n == 0 {
                open.by_source.remove(&self.source);
            }
        }
    }
}

/// A stream that holds its connection's place for as long as it is open.
#[derive(Debug)]
pub struct Placed<S> {
    stream: S,
    _place: Place,
}

impl<S: AsyncRead + Unpin> AsyncRead for Placed<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Placed<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

type Accepting<T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send>>;

impl<A, S> Accept<TcpStream, S> for CappedAcceptor<A>
where
    A: Accept<TcpStream, S> + Clone + Send + Sync + 'static,
    A::Future: Send,
    A::Stream: Unpin,
    S: Send + 'static,
{
    type Stream = Placed<A::Stream>;
    type Service = A::Service;
    type Future = Accepting<(Self::Stream, Self::Service)>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let place = stream.peer_addr().ok().and_then(|peer| self.take(peer.ip()));
        let Some(place) = place else {
            tracing::warn!("connection refused: too many open connections");
            // Dropping the stream closes it; the accept loop goes on.
            return Box::pin(async {
                Err(io::Error::new(
                    io::ErrorKind::ConnectionRefused,
                    "too many open connections",
                ))
            });
        };
        let accepting = self.inner.accept(stream, service);
        Box::pin(async move {
            let (stream, service) = accepting.await?;
            Ok((Placed { stream, _place: place }, service))
        })
    }
}
