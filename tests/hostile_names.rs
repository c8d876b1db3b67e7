//! Unit names are checked as systemd checks them before any verb touches a
//! file: a name with `/` or `..` cannot make mask, unmask, enable or cat
//! reach outside the unit directories (issue 13, item 5).

mod daemon_support;

use std::fs;

use daemon_support::Daemon;
use sundial::ipc::{Request, Response};

fn refused(response: Response, name: &str) {
    match response {
        Response::Error { message, .. } => {
            assert_eq!(message, format!("Unit name {name} is not valid."))
        }
        other => panic!("{name}: accepted: {other:?}"),
    }
}

#[test]
fn names_with_slashes_reach_no_file_outside_the_unit_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    let secret = outside.join("secret.service");
    fs::write(&secret, "[Service]\nExecStart=/bin/true\n").unwrap();
    std::os::unix::fs::symlink("/dev/null", outside.join("masked.service")).unwrap();
    let mut d = Daemon::new(
        tmp.path(),
        &[("ok.service", "[Service]\nExecStart=/bin/true\n")],
    );
    d.start();

    let escape = "../outside/x.service";
    refused(
        d.call(Request::Mask {
            units: vec![escape.into()],
        }),
        escape,
    );
    assert!(!outside.join("x.service").exists(), "mask wrote outside");
    let masked = "../outside/masked.service";
    refused(
        d.call(Request::Unmask {
            units: vec![masked.into()],
        }),
        masked,
    );
    assert!(
        fs::symlink_metadata(outside.join("masked.service")).is_ok(),
        "unmask removed a link outside"
    );
    let cat = "../outside/secret.service";
    refused(
        d.call(Request::Cat {
            units: vec![cat.into()],
        }),
        cat,
    );
    for bad in ["../outside/secret", "/etc/passwd.service", "a/b.timer"] {
        refused(
            d.call(Request::Enable {
                units: vec![bad.into()],
                now: false,
            }),
            bad,
        );
        refused(
            d.call(Request::Start {
                units: vec![bad.into()],
            }),
            bad,
        );
    }
    // Valid names still work, a bare name meaning `.service`.
    match d.call(Request::Mask {
        units: vec!["other".into()],
    }) {
        Response::FileChanges { .. } => {}
        other => panic!("mask other: {other:?}"),
    }
    assert!(d.terminate());
}
