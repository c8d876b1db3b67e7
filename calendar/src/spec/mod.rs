//! Calendar event specifications (`OnCalendar=`).

/// A parsed calendar event. (Being written.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSpec {}
