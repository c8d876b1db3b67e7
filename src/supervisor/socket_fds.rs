//! The descriptors a socket unit hands to the service it activates, as
//! sd_listen_fds(3) receives them: `$LISTEN_FDS`, `$LISTEN_FDNAMES`, the
//! descriptors from 3 on (`$LISTEN_PID` is the child's own, written by the
//! child itself; see `spawn`).

use std::os::fd::OwnedFd;
use std::sync::Arc;

/// One descriptor and its name in `$LISTEN_FDNAMES`.
#[derive(Debug, Clone)]
pub struct PassedFd {
    /// Shared with the socket unit, which keeps it open across the
    /// service's runs.
    pub fd: Arc<OwnedFd>,
    /// `FileDescriptorName=`, the socket unit's name, or `connection`.
    pub name: String,
}

/// What a service's main command gets from its socket units.
#[derive(Debug, Clone, Default)]
pub struct SocketFds {
    /// In the order of the socket units and of their `Listen*=` lines.
    pub fds: Vec<PassedFd>,
    /// More variables: `$REMOTE_ADDR`, `$REMOTE_PORT` of an accepted
    /// connection.
    pub env: Vec<(String, String)>,
    /// Whether the first descriptor is an accepted connection
    /// (`StandardInput=socket` reads from it).
    pub connection: bool,
}

impl SocketFds {
    /// `$LISTEN_FDS`, `$LISTEN_FDNAMES` and the extra variables.
    pub fn environment(&self) -> Vec<(String, String)> {
        if self.fds.is_empty() {
            return self.env.clone();
        }
        let names: Vec<&str> = self.fds.iter().map(|f| f.name.as_str()).collect();
        let mut env = vec![
            ("LISTEN_FDS".to_owned(), self.fds.len().to_string()),
            ("LISTEN_FDNAMES".to_owned(), names.join(":")),
        ];
        env.extend(self.env.iter().cloned());
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_joined_in_order() {
        let null = || -> Arc<OwnedFd> {
            Arc::new(std::fs::File::open("/dev/null").expect("opens").into())
        };
        let fds = SocketFds {
            fds: vec![
                PassedFd {
                    fd: null(),
                    name: "web".into(),
                },
                PassedFd {
                    fd: null(),
                    name: "admin".into(),
                },
            ],
            env: vec![("REMOTE_ADDR".into(), "127.0.0.1".into())],
            connection: false,
        };
        assert_eq!(
            fds.environment(),
            [
                ("LISTEN_FDS".to_owned(), "2".to_owned()),
                ("LISTEN_FDNAMES".to_owned(), "web:admin".to_owned()),
                ("REMOTE_ADDR".to_owned(), "127.0.0.1".to_owned()),
            ]
        );
        assert!(SocketFds::default().environment().is_empty());
    }
}
