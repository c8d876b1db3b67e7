//! The `[Install]` section: read only by enable/disable, never at run time.

use super::name::UnitName;

/// The `[Install]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallSection {
    /// `WantedBy=`: enabling links the unit into `<target>.wants/`.
    pub wanted_by: Vec<UnitName>,
    /// `RequiredBy=`: enabling links the unit into `<target>.requires/`.
    pub required_by: Vec<UnitName>,
    /// `Alias=`: further names, same type suffix.
    pub alias: Vec<UnitName>,
    /// `Also=`: units enabled and disabled together with this one.
    pub also: Vec<UnitName>,
    /// `DefaultInstance=`: the instance a template is enabled as.
    pub default_instance: Option<String>,
}

impl InstallSection {
    /// Cuts every list to its length.
    pub fn shrink_to_fit(&mut self) {
        for names in [
            &mut self.wanted_by,
            &mut self.required_by,
            &mut self.alias,
            &mut self.also,
        ] {
            names.shrink_to_fit();
        }
    }

    /// Whether the section says nothing (the unit is "static").
    pub fn is_empty(&self) -> bool {
        self.wanted_by.is_empty()
            && self.required_by.is_empty()
            && self.alias.is_empty()
            && self.also.is_empty()
            && self.default_instance.is_none()
    }
}
