//! The blocking client the CLI uses: one connection, one request, one reply
//! (or a stream of replies for `logs -f`).

use std::io;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::protocol::{
    read_frame_blocking, write_frame_blocking, FrameError, Request, RequestEnvelope, Response,
    ResponseEnvelope, MAX_REQUEST_FRAME, MAX_RESPONSE_FRAME, PROTOCOL_VERSION,
};

/// A client failure; every variant names the socket.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No daemon listens there (or the socket is not ours to open).
    #[error("{path}: cannot connect to the sundial daemon: {source}")]
    Connect {
        /// The socket.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Sending or receiving failed.
    #[error("{path}: {source}")]
    Frame {
        /// The socket.
        path: PathBuf,
        /// The framing error.
        source: FrameError,
    },
    /// The daemon closed the connection without answering.
    #[error("{path}: the daemon closed the connection without a reply")]
    NoReply {
        /// The socket.
        path: PathBuf,
    },
    /// The reply is not a response this client understands.
    #[error("{path}: unreadable reply: {source}")]
    BadReply {
        /// The socket.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
}

/// A connection to the daemon.
#[derive(Debug)]
pub struct Client {
    stream: UnixStream,
    path: PathBuf,
}

impl Client {
    /// Connects to the daemon's socket.
    pub fn connect(path: impl AsRef<Path>) -> Result<Client, ClientError> {
        let path = path.as_ref().to_path_buf();
        match UnixStream::connect(&path) {
            Ok(stream) => Ok(Client { stream, path }),
            Err(source) => Err(ClientError::Connect { path, source }),
        }
    }

    /// Gives up on a reply after `timeout` (`None`: wait forever, as `logs -f`).
    pub fn set_timeout(&self, timeout: Option<Duration>) -> Result<(), ClientError> {
        self.stream
            .set_read_timeout(timeout)
            .map_err(|e| self.frame_error(e.into()))
    }

    /// Sends one request.
    ///
    /// A daemon that refuses the connection answers and closes at once, so the
    /// write may fail with a broken pipe while the refusal waits to be read: that
    /// error is left for [`Client::receive`] to report with the daemon's reason.
    pub fn send(&mut self, request: &Request) -> Result<(), ClientError> {
        let envelope = RequestEnvelope {
            version: PROTOCOL_VERSION,
            request: request.clone(),
        };
        match write_frame_blocking(&mut self.stream, &envelope, MAX_REQUEST_FRAME) {
            Err(FrameError::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(self.frame_error(e)),
            Ok(()) => Ok(()),
        }
    }

    /// Receives the next response; `Ok(None)` once the daemon closed the
    /// connection (the end of a `logs -f` stream).
    pub fn receive(&mut self) -> Result<Option<Response>, ClientError> {
        let body = match read_frame_blocking(&mut self.stream, MAX_RESPONSE_FRAME) {
            Ok(Some(body)) => body,
            Ok(None) => return Ok(None),
            // A refusal followed by a reset still ends the conversation.
            Err(FrameError::Io(e)) if e.kind() == io::ErrorKind::ConnectionReset => {
                return Ok(None)
            }
            Err(e) => return Err(self.frame_error(e)),
        };
        let envelope: ResponseEnvelope =
            serde_json::from_slice(&body).map_err(|source| ClientError::BadReply {
                path: self.path.clone(),
                source,
            })?;
        Ok(Some(envelope.response))
    }

    /// Sends `request` and returns its one response.
    pub fn call(&mut self, request: &Request) -> Result<Response, ClientError> {
        self.send(request)?;
        self.receive()?.ok_or_else(|| ClientError::NoReply {
            path: self.path.clone(),
        })
    }

    /// Sends `request` and iterates over its responses until the daemon closes
    /// the stream (`logs -f`); dropping the iterator closes the connection.
    pub fn stream(
        mut self,
        request: &Request,
    ) -> Result<impl Iterator<Item = Result<Response, ClientError>>, ClientError> {
        self.send(request)?;
        Ok(std::iter::from_fn(move || self.receive().transpose()))
    }

    fn frame_error(&self, source: FrameError) -> ClientError {
        ClientError::Frame {
            path: self.path.clone(),
            source,
        }
    }
}
