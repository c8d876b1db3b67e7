//! The control protocol between `sundial <verb>` and the daemon: typed,
//! versioned, length-limited frames over a Unix stream socket.
//!
//! - [`frame`]: length-prefixed frames with a size limit.
//! - [`protocol`]: the request and response enums, the version.
//! - [`types`]: the rows and blocks responses carry.
//! - [`client`]: the blocking client of the CLI.
//! - [`server`]: the tokio accept loop that checks peer credentials ([`auth`]),
//!   gives each connection a place by uid ([`admission`]) and
//!   forwards requests to the daemon's event loop, which alone owns state.

pub mod admission;
pub mod auth;
pub mod client;
pub mod frame;
pub mod protocol;
pub mod server;
pub mod types;

#[cfg(test)]
mod server_tests;

pub use auth::{Peer, Policy};
pub use client::{Client, ClientError};
pub use protocol::{
    EnablementRequest, ErrorCode, HistoryRequest, IsolateRequest, KillRequest, KillWhom,
    ListDependenciesRequest, ListTimersRequest, ListUnitsRequest, LogsRequest, Request,
    ResetFailedRequest, Response, RunRequest, SetEnvironmentRequest, ShowRequest, StatusRequest,
    UnitsRequest, UnsetEnvironmentRequest, PROTOCOL_VERSION,
};
pub use server::{BindError, Incoming, Reply, Server, ServerConfig, SocketFile};
