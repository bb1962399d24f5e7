//! A TCP proxy a test can cut: it stands between one `mpc-node` and the validator's
//! websocket, so a test can drop the node's subscription (and refuse reconnections) while
//! the validator and everything else carry on. It can also turn half-open: accept
//! connections and read what the node sends, but never answer and never close, as a
//! middlebox that lost its upstream does; the node has to notice on its own.

use std::{
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

/// What the proxy does with a new connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Mode {
    /// Forward it to the upstream.
    #[default]
    Forwarding,
    /// Close it at once: the link is cut.
    Refusing,
    /// Keep it open and read it, never answer and never close it.
    HalfOpen,
}

#[derive(Default)]
struct State {
    mode: Mode,
    connections: Vec<TcpStream>,
    /// Connections held half-open (clones), closed by [`Proxy::restore`].
    held: Vec<TcpStream>,
    /// Connections accepted in half-open mode so far.
    held_total: u64,
    /// Of those, the ones whose reading ended (closed by the client, or by [`Proxy::restore`]).
    held_closed: Arc<AtomicU64>,
}

/// The proxy; its listener thread lives as long as the test process.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Proxy {
    /// Forwards connections to `upstream`.
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let mut state = shared.lock().expect("proxy state");
                match state.mode {
                    Mode::Refusing => {
                        let _ = client.shutdown(Shutdown::Both);
                        continue;
                    }
                    Mode::HalfOpen => {
                        let Ok(copy) = client.try_clone() else { continue };
                        state.held.push(copy);
                        state.held_total += 1;
                        swallow(client, Arc::clone(&state.held_closed));
                        continue;
                    }
                    Mode::Forwarding => {}
                }
                let Ok(server) = TcpStream::connect(upstream) else { continue };
                let (Ok(client_copy), Ok(server_copy)) = (client.try_clone(), server.try_clone()) else { continue };
                state.connections.extend([client_copy, server_copy]);
                pipe(client.try_clone().expect("clone"), server.try_clone().expect("clone"));
                pipe(server, client);
            }
        });
        Proxy { addr, state }
    }

    /// Drops every open connection and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        let mut state = self.state.lock().expect("proxy state");
        state.mode = Mode::Refusing;
        for connection in state.connections.drain(..) {
            let _ = connection.shutdown(Shutdown::Both);
        }
    }

    /// Drops every open connection (the node must reconnect) and from now on accepts new
    /// ones and reads them without ever answering or closing them, until [`Proxy::restore`].
    pub fn half_open(&self) {
        let mut state = self.state.lock().expect("proxy state");
        state.mode = Mode::HalfOpen;
        for connection in state.connections.drain(..) {
            let _ = connection.shutdown(Shutdown::Both);
        }
    }

    /// How many connections the proxy accepted while half-open, and how many of them the
    /// client has not closed yet.
    pub fn half_open_connections(&self) -> (u64, usize) {
        let state = self.state.lock().expect("proxy state");
        let closed = state.held_closed.load(Ordering::SeqCst);
        (state.held_total, usize::try_from(state.held_total - closed).expect("a count"))
    }

    /// Forwards new connections again (closing the ones held half-open).
    pub fn restore(&self) {
        let mut state = self.state.lock().expect("proxy state");
        state.mode = Mode::Forwarding;
        for held in state.held.drain(..) {
            let _ = held.shutdown(Shutdown::Both);
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// Reads `client` to its end and drops what it reads: nothing is ever written back. Counts
/// the connection in `closed` once the client closed it (or the proxy shut it down).
fn swallow(mut client: TcpStream, closed: Arc<AtomicU64>) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut client, &mut std::io::sink());
        closed.fetch_add(1, Ordering::SeqCst);
    });
}
