//! The users of the system, as `/etc/passwd` lists them: cron gives a job
//! its user's `HOME` and `LOGNAME` and runs it from that home.

use std::collections::BTreeMap;

/// One `/etc/passwd` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passwd {
    /// The login name.
    pub name: String,
    /// The user id.
    pub uid: u32,
    /// The primary group id.
    pub gid: u32,
    /// The home directory.
    pub home: String,
}

/// The users by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDb {
    users: BTreeMap<String, Passwd>,
}

impl UserDb {
    /// Parses `/etc/passwd` text (`name:password:uid:gid:gecos:home:shell`);
    /// malformed lines are skipped, as getpwnam(3) skips them. The first
    /// entry of a name wins, as in getpwnam.
    ///
    /// ```
    /// use sundial::crontab::UserDb;
    /// let db = UserDb::parse("root:x:0:0:root:/root:/bin/bash\nbroken\n");
    /// assert_eq!(db.get("root").map(|u| u.home.as_str()), Some("/root"));
    /// assert!(db.get("broken").is_none());
    /// ```
    pub fn parse(text: &str) -> UserDb {
        let mut users = BTreeMap::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 7 || f[0].is_empty() || f[0].starts_with(['+', '-', '#']) {
                continue;
            }
            let (Ok(uid), Ok(gid)) = (f[2].parse(), f[3].parse()) else {
                continue;
            };
            users.entry(f[0].to_owned()).or_insert_with(|| Passwd {
                name: f[0].to_owned(),
                uid,
                gid,
                home: f[5].to_owned(),
            });
        }
        UserDb { users }
    }

    /// Adds or replaces a user.
    pub fn insert(&mut self, user: Passwd) {
        self.users.insert(user.name.clone(), user);
    }

    /// Whether no user is known.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The user called `name`.
    pub fn get(&self, name: &str) -> Option<&Passwd> {
        self.users.get(name)
    }

    /// The user with id `uid`, the first one listed.
    pub fn by_uid(&self, uid: u32) -> Option<&Passwd> {
        self.users.values().find(|u| u.uid == uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_and_skips_junk() {
        let db = UserDb::parse(
            "root:x:0:0:root:/root:/bin/bash\n\
             alice:x:1000:1000:Alice,,,:/home/alice:/bin/sh\n\
             +nis::::::\n\
             bob:x:notanumber:1:b:/home/bob:/bin/sh\n\
             alice:x:2000:2000::/elsewhere:/bin/sh\n",
        );
        let alice = db.get("alice").unwrap();
        assert_eq!(
            (alice.uid, alice.gid, alice.home.as_str()),
            (1000, 1000, "/home/alice")
        );
        assert!(db.get("bob").is_none());
        assert!(db.get("+nis").is_none());
        assert_eq!(db.by_uid(0).map(|u| u.name.as_str()), Some("root"));
    }
}
