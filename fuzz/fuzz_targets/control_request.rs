//! The control socket's decoder on arbitrary bytes, as a hostile client
//! sends them: frames are cut by their length prefix (a lying prefix
//! costs nothing), each body is decoded into a request or the error the
//! daemon answers with; nothing panics, an accepted request survives a
//! round trip through the wire format, and every refusal is an error that
//! can itself be framed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::ipc::frame::{encode_frame, read_frame_blocking};
use sundial::ipc::protocol::{decode_request, RequestEnvelope, MAX_REQUEST_FRAME};
use sundial::ipc::{Response, PROTOCOL_VERSION};

/// A small limit, so that the "too large" path is reached too.
const MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let mut reader = data;
    // Every frame in the input, until the stream ends or breaks.
    while let Ok(Some(body)) = read_frame_blocking(&mut reader, MAX) {
        assert!(body.len() <= MAX);
        match decode_request(&body) {
            Ok(request) => {
                let _ = (request.is_read_only(), request.streams());
                let envelope = RequestEnvelope {
                    version: PROTOCOL_VERSION,
                    request: request.clone(),
                };
                let frame =
                    encode_frame(&envelope, MAX_REQUEST_FRAME).expect("a decoded request encodes");
                let again = decode_request(&frame[4..]).expect("an encoded request decodes");
                assert_eq!(again, request, "the wire format round-trips");
            }
            Err(refusal) => {
                assert!(matches!(refusal, Response::Error { .. }), "{refusal:?}");
                encode_frame(&refusal, MAX_REQUEST_FRAME).expect("a refusal encodes");
            }
        }
    }
});
