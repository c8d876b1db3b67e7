//! Who gets one of the control socket's connection places.
//!
//! The table is shared by every user of a system daemon, so one user holding
//! idle connections must not lock the others out, and above all not root:
//! each uid may hold only a share of the table, and a part of it is kept for
//! the privileged uids (root and the daemon's own uid), which are always
//! served while a place is free anywhere. Pure bookkeeping: the server
//! calls [`Admission::admit`] at accept time and [`Admission::release`] when
//! the connection ends.

use std::collections::HashMap;

/// The sizes of the connection table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once, all uids together.
    pub max_connections: usize,
    /// Places only the privileged uids may take.
    pub reserved: usize,
    /// Connections one unprivileged uid may hold at once.
    pub per_uid: usize,
}

/// Why a connection was turned away; the message goes to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Every place the uid may take is taken.
    #[error("too many connections ({max} at once)")]
    Full {
        /// The places the uid may use in all.
        max: usize,
    },
    /// The uid holds its share already.
    #[error("too many connections from uid {uid} ({limit} at once)")]
    UidFull {
        /// The uid.
        uid: u32,
        /// Its share.
        limit: usize,
    },
}

/// The connection table's occupancy, by uid.
#[derive(Debug, Clone)]
pub struct Admission {
    limits: Limits,
    privileged: Vec<u32>,
    by_uid: HashMap<u32, usize>,
    total: usize,
}

impl Admission {
    /// An empty table; `privileged` are the uids always served (root and
    /// the daemon's own uid).
    pub fn new(limits: Limits, privileged: &[u32]) -> Admission {
        Admission {
            limits,
            privileged: privileged.to_vec(),
            by_uid: HashMap::new(),
            total: 0,
        }
    }

    /// Whether `uid` is one of the privileged uids.
    pub fn is_privileged(&self, uid: u32) -> bool {
        self.privileged.contains(&uid)
    }

    /// Takes a place for a connection of `uid`, or says why not.
    pub fn admit(&mut self, uid: u32) -> Result<(), Refusal> {
        let held = self.by_uid.get(&uid).copied().unwrap_or(0);
        if self.is_privileged(uid) {
            if self.total >= self.limits.max_connections {
                return Err(Refusal::Full {
                    max: self.limits.max_connections,
                });
            }
        } else {
            let shared = self
                .limits
                .max_connections
                .saturating_sub(self.limits.reserved);
            if held >= self.limits.per_uid {
                return Err(Refusal::UidFull {
                    uid,
                    limit: self.limits.per_uid,
                });
            }
            // The reserved places count as taken for everyone else.
            let taken_by_others = self.total.saturating_sub(self.privileged_held());
            let privileged_overflow = self.privileged_held().saturating_sub(self.limits.reserved);
            if taken_by_others + privileged_overflow >= shared {
                return Err(Refusal::Full { max: shared });
            }
        }
        *self.by_uid.entry(uid).or_insert(0) += 1;
        self.total += 1;
        Ok(())
    }

    /// Gives back a place `uid` took.
    pub fn release(&mut self, uid: u32) {
        if let Some(held) = self.by_uid.get_mut(&uid) {
            *held -= 1;
            if *held == 0 {
                self.by_uid.remove(&uid);
            }
            self.total -= 1;
        }
    }

    /// Places taken by all uids.
    pub fn total(&self) -> usize {
        self.total
    }

    fn privileged_held(&self) -> usize {
        self.privileged
            .iter()
            .filter_map(|uid| self.by_uid.get(uid))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_connections: 10,
        reserved: 3,
        per_uid: 4,
    };

    fn table() -> Admission {
        Admission::new(LIMITS, &[0, 500])
    }

    #[test]
    fn one_uid_gets_its_share_only() {
        let mut t = table();
        for _ in 0..4 {
            t.admit(65534).unwrap();
        }
        assert_eq!(
            t.admit(65534),
            Err(Refusal::UidFull {
                uid: 65534,
                limit: 4
            })
        );
        // Another uid is not affected.
        t.admit(1000).unwrap();
        t.release(65534);
        t.admit(65534).unwrap();
        assert_eq!(t.total(), 5);
    }

    #[test]
    fn the_reserved_places_stay_for_root_and_the_daemons_uid() {
        let mut t = table();
        for uid in [1, 1, 1, 1, 2, 2, 2] {
            t.admit(uid).unwrap();
        }
        // 7 of 10 taken: the 3 left are reserved.
        assert_eq!(t.admit(3), Err(Refusal::Full { max: 7 }));
        t.admit(0).unwrap();
        t.admit(500).unwrap();
        t.admit(0).unwrap();
        assert_eq!(t.admit(0), Err(Refusal::Full { max: 10 }));
        assert_eq!(t.total(), 10);
        // A freed shared place goes to whoever comes.
        t.release(2);
        t.admit(3).unwrap();
    }

    #[test]
    fn privileged_uids_may_use_shared_places_too() {
        let mut t = table();
        // Root takes 5: the 3 reserved and 2 shared ones.
        for _ in 0..5 {
            t.admit(0).unwrap();
        }
        for _ in 0..4 {
            t.admit(1).unwrap();
        }
        t.admit(2).unwrap();
        // 5 shared places of 7 are used by root's overflow and uid 1, 2.
        assert_eq!(t.admit(3), Err(Refusal::Full { max: 7 }));
        t.release(0);
        t.release(0);
        t.admit(3).unwrap();
    }

    #[test]
    fn releasing_what_was_not_taken_changes_nothing() {
        let mut t = table();
        t.release(7);
        assert_eq!(t.total(), 0);
        t.admit(7).unwrap();
        t.release(7);
        t.release(7);
        assert_eq!(t.total(), 0);
    }
}
