//! Units from text, for tests elsewhere in the crate: the real lexer and
//! assembler over an in-memory file, with UTC and the bundled zones.

use std::path::PathBuf;
use std::sync::Arc;

use sundial_calendar::zone::BundledZones;
use sundial_calendar::Zone;

use super::assemble::{assemble, LexedFile, ParseEnv, Unit};
use super::lexer::lex;
use super::specifiers::SpecifierContext;
use super::{PathUnit, ServiceUnit, SocketUnit, UnitName};

/// Loads the unit `name` from its file's `text`: the unit (if it loads)
/// and each diagnostic as `path:line: message`.
pub fn unit(name: &str, text: &str) -> (Option<Unit>, Vec<String>) {
    let path = PathBuf::from("/units").join(name);
    let files = [LexedFile {
        path: path.clone(),
        lexed: lex(&path, text),
    }];
    let ctx = SpecifierContext::system();
    let zone = Zone::utc();
    let zones = BundledZones::new();
    let env = ParseEnv {
        specifiers: &ctx,
        local_zone: &zone,
        zones: &zones,
    };
    let name = UnitName::parse(name).expect("a valid unit name");
    let mut diags = Vec::new();
    let unit = assemble(&name, Some(&path), &files, &env, &mut diags);
    (unit, diags.iter().map(ToString::to_string).collect())
}

/// `t.socket` from its `[Socket]` lines; panics if it does not load.
pub fn socket_unit(socket_lines: &str) -> Arc<SocketUnit> {
    match unit("t.socket", &format!("[Socket]\n{socket_lines}\n")) {
        (Some(Unit::Socket(s)), _) => s,
        (_, diags) => panic!("did not load: {diags:?}"),
    }
}

/// Loads the service `name` from its file's `text`: the unit (if it
/// loads) and each diagnostic as `path:line: message`.
pub fn service(name: &str, text: &str) -> (Option<Arc<ServiceUnit>>, Vec<String>) {
    match unit(name, text) {
        (Some(Unit::Service(s)), diags) => (Some(s), diags),
        (_, diags) => (None, diags),
    }
}

/// `t.service` from its `[Service]` lines; panics if it does not load.
pub fn service_unit(service_lines: &str) -> Arc<ServiceUnit> {
    match service("t.service", &format!("[Service]\n{service_lines}\n")) {
        (Some(s), _) => s,
        (None, diags) => panic!("did not load: {diags:?}"),
    }
}

/// Loads the path unit `name` from its file's `text`, as [`service`].
pub fn path_unit(name: &str, text: &str) -> (Option<Arc<PathUnit>>, Vec<String>) {
    match unit(name, text) {
        (Some(Unit::Path(p)), diags) => (Some(p), diags),
        (_, diags) => (None, diags),
    }
}
