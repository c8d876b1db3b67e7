//! One copy of each unit name's text among the units of one load. A
//! [`UnitName`] shares its text with its clones, but names parsed apart
//! (a timer's own, its `Unit=`, `WantedBy=timers.target` in each of
//! 100,000 timers) are one allocation each; the loader passes each unit's
//! names through a [`NameTable`], so that equal names share one text, and
//! the maps keyed by names (the unit set's, the scheduler's) cost no copy.

use std::collections::HashSet;

use super::assemble::Unit;
use super::dependencies::Dependencies;
use super::install::InstallSection;
use super::list::List;
use super::name::UnitName;
use super::sparse::Sparse;

/// The names seen so far in one load (see the module).
#[derive(Debug, Default)]
pub struct NameTable(HashSet<UnitName>);

impl NameTable {
    /// Makes `name` share the text of an equal name seen before, or keeps it
    /// as the one to share from now on.
    pub fn share(&mut self, name: &mut UnitName) {
        match self.0.get(name.as_str()) {
            Some(known) => *name = known.clone(),
            None => {
                self.0.insert(name.clone());
            }
        }
    }

    fn share_all(&mut self, names: &mut List<UnitName>) {
        for name in names.iter_mut() {
            self.share(name);
        }
    }

    fn share_dependencies(&mut self, dependencies: &mut Sparse<Dependencies>) {
        if !dependencies.is_boxed() {
            // A mutable look would box the empty lists.
            return;
        }
        let d = &mut **dependencies;
        for names in [
            &mut d.requires,
            &mut d.wants,
            &mut d.requisite,
            &mut d.binds_to,
            &mut d.part_of,
            &mut d.upholds,
            &mut d.after,
            &mut d.before,
            &mut d.conflicts,
            &mut d.on_failure,
            &mut d.on_success,
        ] {
            self.share_all(names);
        }
    }

    fn share_install(&mut self, install: &mut InstallSection) {
        for names in [
            &mut install.wanted_by,
            &mut install.required_by,
            &mut install.alias,
            &mut install.also,
        ] {
            self.share_all(names);
        }
    }

    /// Makes the names `unit` holds (its own, its dependencies, its
    /// `[Install]` lists, the unit it triggers) share their texts. Called
    /// by the loader before the unit is shared, so nothing is copied.
    pub fn share_unit(&mut self, unit: &mut Unit) {
        use std::sync::Arc;
        match unit {
            Unit::Service(s) => {
                let s = Arc::make_mut(s);
                self.share(&mut s.name);
                self.share_dependencies(&mut s.unit.dependencies);
                self.share_install(&mut s.install);
            }
            Unit::Timer(t) => {
                let t = Arc::make_mut(t);
                self.share(&mut t.name);
                self.share(&mut t.triggers);
                self.share_dependencies(&mut t.unit.dependencies);
                self.share_install(&mut t.install);
            }
            Unit::Target(t) => {
                let t = Arc::make_mut(t);
                self.share(&mut t.name);
                self.share_dependencies(&mut t.unit.dependencies);
                self.share_install(&mut t.install);
            }
            Unit::Socket(s) => {
                let s = Arc::make_mut(s);
                self.share(&mut s.name);
                self.share(&mut s.triggers);
                self.share_dependencies(&mut s.unit.dependencies);
                self.share_install(&mut s.install);
            }
            Unit::Path(p) => {
                let p = Arc::make_mut(p);
                self.share(&mut p.name);
                self.share(&mut p.triggers);
                self.share_dependencies(&mut p.unit.dependencies);
                self.share_install(&mut p.install);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_share_one_text() {
        let mut table = NameTable::default();
        let mut a = UnitName::parse("timers.target").expect("valid");
        let mut b = UnitName::parse("timers.target").expect("valid");
        assert!(!a.shares_text_with(&b));
        table.share(&mut a);
        table.share(&mut b);
        assert!(a.shares_text_with(&b));
        assert_eq!(a, b);
        let mut c = UnitName::parse("other.target").expect("valid");
        table.share(&mut c);
        assert!(!c.shares_text_with(&a));
    }
}
