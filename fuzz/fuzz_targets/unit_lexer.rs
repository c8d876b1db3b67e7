//! The unit-file lexer and the typed parser on arbitrary bytes: no panic,
//! read as a service, a timer instance and a socket (its `Listen*=`
//! address parser included).
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use sundial::unit::assemble::{assemble, LexedFile, ParseEnv};
use sundial::unit::lexer::lex;
use sundial::unit::{SpecifierContext, UnitName};
use sundial_calendar::zone::BundledZones;
use sundial_calendar::Zone;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = PathBuf::from("/fuzz/x.service");
    let lexed = lex(Path::new(&path), &text);
    let zones = BundledZones::new();
    let ctx = SpecifierContext::system();
    let env = ParseEnv {
        specifiers: &ctx,
        local_zone: &Zone::utc(),
        zones: &zones,
    };
    let files = [LexedFile {
        lexed,
        path: path.clone(),
    }];
    for name in ["x.service", "x@i.timer", "x.socket", "x.path"] {
        let name = UnitName::parse(name).expect("a valid literal name");
        let mut diags = Vec::new();
        let _ = assemble(&name, Some(&path), &files, &env, &mut diags);
    }
});
