//! The Exec*= command-line splitter on arbitrary input: no panic, and every
//! command it returns has a path and an argv.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::unit::exec::{parse_exec_value, split_words};
use sundial::unit::{SpecifierContext, Specifiers, UnitName};

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let ctx = SpecifierContext::system();
    let name = UnitName::parse("f@i.service").expect("a valid literal name");
    let spec = Specifiers::new(&ctx, &name, None);
    let parsed = parse_exec_value(&line, &spec);
    for c in &parsed.commands {
        assert!(!c.path.is_empty() && !c.argv.is_empty());
    }
    let _ = split_words(&line);
});
