//! The timer scheduler: pure state machines for `.timer` units on a realtime
//! and a monotonic timer wheel. It is told the time and returns actions; it
//! reads no clock, no file and no environment.

pub mod accuracy;
pub mod clock;
pub mod extensions;
pub mod persistent;
pub mod queue;
pub mod random;
pub mod wheel;
