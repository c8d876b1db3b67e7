//! StandardInputText= and StandardInputData= on arbitrary input: no panic, a
//! rejected value leaves the buffer as it was, and an accepted text line ends
//! in a newline.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::unit::stdin_data::{append_base64, append_text};
use sundial::unit::{SpecifierContext, Specifiers, UnitName};

fuzz_target!(|data: &[u8]| {
    let value = String::from_utf8_lossy(data);
    let ctx = SpecifierContext::system();
    let name = UnitName::parse("f@i.service").expect("a valid literal name");
    let spec = Specifiers::new(&ctx, &name, None);
    let mut buffer = b"before".to_vec();
    match append_text(&mut buffer, &value, &spec) {
        Ok(()) => assert!(buffer.len() > 6 && buffer.ends_with(b"\n")),
        Err(_) => assert_eq!(buffer, b"before"),
    }
    let mut buffer = b"before".to_vec();
    match append_base64(&mut buffer, &value) {
        Ok(()) => assert!(buffer.starts_with(b"before")),
        Err(_) => assert_eq!(buffer, b"before"),
    }
});
