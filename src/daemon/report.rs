//! The daemon's own log: lines on stderr, prefixed `sundial:`. A module of
//! its own so that the parts of the daemon below `state` (the log writer)
//! can report without depending on it.

/// Writes a line to the daemon's own log (stderr).
pub fn report(message: impl AsRef<str>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "sundial: {}", message.as_ref());
}
