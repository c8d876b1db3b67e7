//! The lexer, the command-line splitter and the whole unit parser never panic,
//! whatever the input (the cheap companion of the fuzz targets in fuzz/).

// Test helpers may panic: a failure is the test's verdict.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sundial::unit::assemble::{assemble, LexedFile, ParseEnv};
use sundial::unit::exec::{parse_exec_value, split_words};
use sundial::unit::lexer::lex;
use sundial::unit::{SpecifierContext, Specifiers, UnitName};
use sundial_calendar::zone::BundledZones;
use sundial_calendar::Zone;

// Inputs built from the characters that matter to the grammar, so that the
// interesting paths (quotes, escapes, continuations, prefixes) are hit often.
fn unitish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("\n".to_owned()),
            Just("\\\n".to_owned()),
            Just("[Service]\n".to_owned()),
            Just("[Timer]\n".to_owned()),
            Just("[Path]\n".to_owned()),
            Just("PathChanged=".to_owned()),
            Just("DirectoryMode=".to_owned()),
            Just("ExecStart=".to_owned()),
            Just("OnCalendar=".to_owned()),
            Just("Environment=".to_owned()),
            Just("User=".to_owned()),
            "[ -~]{0,12}",
            "[\"'\\\\;%$@!+:=#\\[\\] xu0-9a-f-]{0,8}",
            any::<String>(),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn lexer_never_panics(text in unitish()) {
        let lexed = lex(Path::new("/p.service"), &text);
        for e in &lexed.entries {
            prop_assert!(e.line >= 1);
            prop_assert!(!e.key.is_empty());
        }
    }

    #[test]
    fn exec_split_never_panics(line in unitish()) {
        let ctx = SpecifierContext::system();
        let name = UnitName::parse("a@b.service").unwrap();
        let spec = Specifiers::new(&ctx, &name, None);
        let parsed = parse_exec_value(&line, &spec);
        for c in &parsed.commands {
            prop_assert!(!c.path.is_empty());
            prop_assert!(!c.argv.is_empty());
        }
        let _ = split_words(&line);
    }

    #[test]
    fn unit_parser_never_panics(text in unitish(), kind in 0..3u8) {
        let zones = BundledZones::new();
        let ctx = SpecifierContext::system();
        let env = ParseEnv { specifiers: &ctx, local_zone: &Zone::utc(), zones: &zones };
        let name = UnitName::parse(["x.timer", "x.service", "x.path"][usize::from(kind)]).unwrap();
        let path = PathBuf::from("/u/x");
        let files = [LexedFile { lexed: lex(&path, &text), path: path.clone() }];
        let mut diags = Vec::new();
        let unit = assemble(&name, Some(&path), &files, &env, &mut diags);
        // A unit that loads has no error; one that does not has at least one.
        prop_assert_eq!(unit.is_some(), !diags.iter().any(|d| d.is_error()));
    }
}

// The values of the BPF directives: any text is either parsed or named in an
// error, and what parses prints back to itself.
proptest! {
    #[test]
    fn ip_prefixes_never_panic_and_print_back(
        value in "(any|localhost|link-local|multicast|[0-9a-f:.]{0,20}(/[0-9]{0,4})?| ){0,4}"
    ) {
        use sundial::unit::ip_address::{parse_prefix_word, parse_prefixes};
        let (prefixes, errors) = parse_prefixes(&value);
        prop_assert!(prefixes.len() + errors.len() <= 2 * value.split_whitespace().count());
        for p in prefixes {
            prop_assert_eq!(parse_prefix_word(&p.to_string()).unwrap(), vec![p]);
        }
    }

    #[test]
    fn bind_rules_and_interfaces_never_panic(
        value in "(~|ipv4:|ipv6:|tcp:|udp:|any|[0-9]{1,6}|-|[a-z0-9/:.]{1,17}| ){0,5}"
    ) {
        use sundial::unit::socket_bind::{apply_interfaces, parse_socket_bind};
        if let Ok(Some(rule)) = parse_socket_bind(&value) {
            prop_assert_eq!(parse_socket_bind(&rule.to_string()).unwrap(), Some(rule));
        }
        let mut list = None;
        let errors = apply_interfaces(&mut list, &value);
        for e in errors {
            prop_assert!(e.to_string().starts_with("invalid network interface name"));
        }
    }
}
