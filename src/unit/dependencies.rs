//! A unit's dependencies and ordering from its `[Unit]` section
//! (`Requires=` ... `OnSuccess=`): eleven lists, all empty in most units
//! (the implicit dependencies are computed, not stored here), so they are
//! [`Sparse`](super::sparse::Sparse) in [`UnitSection`](super::unit::UnitSection).

use super::list::List;
use super::name::UnitName;
use super::sparse::Defaults;

/// The dependency and ordering lists of the `[Unit]` section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dependencies {
    /// `Requires=`
    pub requires: List<UnitName>,
    /// `Wants=`
    pub wants: List<UnitName>,
    /// `Requisite=`
    pub requisite: List<UnitName>,
    /// `BindsTo=`
    pub binds_to: List<UnitName>,
    /// `PartOf=`
    pub part_of: List<UnitName>,
    /// `Upholds=`
    pub upholds: List<UnitName>,
    /// `After=`
    pub after: List<UnitName>,
    /// `Before=`
    pub before: List<UnitName>,
    /// `Conflicts=`
    pub conflicts: List<UnitName>,
    /// `OnFailure=`
    pub on_failure: List<UnitName>,
    /// `OnSuccess=`
    pub on_success: List<UnitName>,
}

impl Dependencies {
    /// Cuts every list to its length.
    pub fn shrink_to_fit(&mut self) {
        for names in [
            &mut self.requires,
            &mut self.wants,
            &mut self.requisite,
            &mut self.binds_to,
            &mut self.part_of,
            &mut self.upholds,
            &mut self.after,
            &mut self.before,
            &mut self.conflicts,
            &mut self.on_failure,
            &mut self.on_success,
        ] {
            names.shrink_to_fit();
        }
    }
}

/// Every list empty.
static NONE: Dependencies = Dependencies {
    requires: List::new(),
    wants: List::new(),
    requisite: List::new(),
    binds_to: List::new(),
    part_of: List::new(),
    upholds: List::new(),
    after: List::new(),
    before: List::new(),
    conflicts: List::new(),
    on_failure: List::new(),
    on_success: List::new(),
};

impl Defaults for Dependencies {
    fn defaults() -> &'static Dependencies {
        &NONE
    }
}
