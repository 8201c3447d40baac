//! Readiness checks (DESIGN.md §5): tell when a new generation is ready, or that it is not.
//!
//! Each check ends in exactly one `Event::Ready` or `Event::NotReady` on the bus, or in nothing
//! once cancelled. Free of hotdev's config beyond [`Readiness`]; decides nothing about swaps.

mod check;
mod notify;

pub use check::{Check, Registry};
pub use notify::NotifySocket;
