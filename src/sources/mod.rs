//! Small event sources shared by the reload loop and `hotdev smoke`: OS signals and timers.
//!
//! Each one only delivers: it calls the closure it was given (which sends on whatever channel
//! its caller uses) and decides nothing.

pub mod signals;
pub mod timer;
