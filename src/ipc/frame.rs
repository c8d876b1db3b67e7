//! Framing: a 4-byte big-endian length, then that many bytes of JSON.
//!
//! The length is checked against a maximum before the body is allocated or
//! read, so a hostile prefix costs four bytes of reading and nothing more.

use std::io::{self, Read, Write};

use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A framing failure.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The length prefix exceeds the maximum; the body was not read.
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// The announced length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// The peer closed the stream inside a frame.
    #[error("connection closed inside a frame ({got} of {expected} bytes)")]
    Truncated {
        /// Bytes the frame needed (4 for the prefix, then the body).
        expected: usize,
        /// Bytes that came.
        got: usize,
    },
    /// A value could not be encoded as JSON.
    #[error("cannot encode message: {0}")]
    Encode(#[source] serde_json::Error),
    /// The socket failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Encodes `value` as one frame, refusing bodies over `max`.
pub fn encode_frame(value: &impl Serialize, max: usize) -> Result<Vec<u8>, FrameError> {
    let mut frame = vec![0; 4];
    serde_json::to_writer(&mut frame, value).map_err(FrameError::Encode)?;
    let len = frame.len() - 4;
    if len > max {
        return Err(FrameError::TooLarge {
            len: len as u64,
            max,
        });
    }
    let prefix = u32::try_from(len).expect("len <= max, and limits are far below 4 GiB");
    frame[..4].copy_from_slice(&prefix.to_be_bytes());
    Ok(frame)
}

/// The body length announced by a prefix, checked against `max`.
fn body_len(prefix: [u8; 4], max: usize) -> Result<usize, FrameError> {
    let len = u32::from_be_bytes(prefix);
    match usize::try_from(len) {
        Ok(len) if len <= max => Ok(len),
        _ => Err(FrameError::TooLarge {
            len: u64::from(len),
            max,
        }),
    }
}

/// Reads one frame body; `Ok(None)` when the peer closed between frames.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    let mut prefix = [0u8; 4];
    let got = read_full_async(reader, &mut prefix).await?;
    if got == 0 {
        return Ok(None);
    }
    if got < 4 {
        return Err(FrameError::Truncated { expected: 4, got });
    }
    let len = body_len(prefix, max)?;
    let mut body = vec![0; len];
    let got = read_full_async(reader, &mut body).await?;
    if got < len {
        return Err(FrameError::Truncated { expected: len, got });
    }
    Ok(Some(body))
}

/// Reads until `buf` is full or the peer closes; returns the bytes read.
async fn read_full_async<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut [u8],
) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]).await? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Writes `value` as one frame.
pub async fn write_frame<W: AsyncWrite + Unpin>(
    writer: &mut W,
    value: &impl Serialize,
    max: usize,
) -> Result<(), FrameError> {
    let frame = encode_frame(value, max)?;
    writer.write_all(&frame).await?;
    writer.flush().await?;
    Ok(())
}

/// Blocking [`read_frame`], for the client.
pub fn read_frame_blocking(
    reader: &mut impl Read,
    max: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    let mut prefix = [0u8; 4];
    let got = read_full(reader, &mut prefix)?;
    if got == 0 {
        return Ok(None);
    }
    if got < 4 {
        return Err(FrameError::Truncated { expected: 4, got });
    }
    let len = body_len(prefix, max)?;
    let mut body = vec![0; len];
    let got = read_full(reader, &mut body)?;
    if got < len {
        return Err(FrameError::Truncated { expected: len, got });
    }
    Ok(Some(body))
}

fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Blocking [`write_frame`], for the client.
pub fn write_frame_blocking(
    writer: &mut impl Write,
    value: &impl Serialize,
    max: usize,
) -> Result<(), FrameError> {
    let frame = encode_frame(value, max)?;
    writer.write_all(&frame)?;
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::protocol::{decode_request, Request, RequestEnvelope, MAX_REQUEST_FRAME};

    #[test]
    fn frames_round_trip_blocking() {
        let request = RequestEnvelope {
            version: 1,
            request: Request::DaemonReload,
        };
        let frame = encode_frame(&request, MAX_REQUEST_FRAME).unwrap();
        assert_eq!(
            u32::from_be_bytes(frame[..4].try_into().unwrap()) as usize,
            frame.len() - 4
        );
        let mut two = frame.clone();
        two.extend_from_slice(&frame);
        let mut reader = &two[..];
        for _ in 0..2 {
            let body = read_frame_blocking(&mut reader, MAX_REQUEST_FRAME)
                .unwrap()
                .unwrap();
            assert_eq!(decode_request(&body).unwrap(), Request::DaemonReload);
        }
        assert!(read_frame_blocking(&mut reader, MAX_REQUEST_FRAME)
            .unwrap()
            .is_none());
    }

    #[test]
    fn oversized_prefix_is_refused_before_reading() {
        let mut reader = &[0xff, 0xff, 0xff, 0xff, b'x'][..];
        let err = read_frame_blocking(&mut reader, MAX_REQUEST_FRAME).unwrap_err();
        assert!(
            matches!(
                err,
                FrameError::TooLarge {
                    len: 0xffff_ffff,
                    ..
                }
            ),
            "{err}"
        );
        // The body was left unread.
        assert_eq!(reader, b"x");
        let big = "x".repeat(100);
        assert!(matches!(
            encode_frame(&big, 10),
            Err(FrameError::TooLarge { len: 102, .. })
        ));
    }

    #[test]
    fn truncated_frames_are_reported() {
        let mut reader = &[0, 0][..];
        assert!(matches!(
            read_frame_blocking(&mut reader, 100),
            Err(FrameError::Truncated {
                expected: 4,
                got: 2
            })
        ));
        let mut reader = &[0, 0, 0, 10, b'{'][..];
        assert!(matches!(
            read_frame_blocking(&mut reader, 100),
            Err(FrameError::Truncated {
                expected: 10,
                got: 1
            })
        ));
    }

    #[tokio::test]
    async fn frames_round_trip_async() {
        let (mut a, mut b) = tokio::io::duplex(64);
        let writer = tokio::spawn(async move {
            let request = RequestEnvelope {
                version: 1,
                request: Request::DaemonReload,
            };
            for _ in 0..3 {
                write_frame(&mut a, &request, MAX_REQUEST_FRAME)
                    .await
                    .unwrap();
            }
        });
        for _ in 0..3 {
            let body = read_frame(&mut b, MAX_REQUEST_FRAME)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(decode_request(&body).unwrap(), Request::DaemonReload);
        }
        writer.await.unwrap();
        assert!(read_frame(&mut b, MAX_REQUEST_FRAME)
            .await
            .unwrap()
            .is_none());
    }
}
