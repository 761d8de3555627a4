//! When a connection must end before its client is done: the server shutting down, or,
//! for a process-mode child, its parent being gone (killed without its children: the
//! README's "Stopping" promises that no child serves on for long after).
//!
//! Only the waits that could otherwise last long look at it: a live page's stream, a
//! `stall` or a `delay` fault, and (Windows) an idle connection waiting for a request.

use std::sync::atomic::{AtomicBool, Ordering};

/// The server's stop flag, and the parent to outlive no longer than a poll.
#[derive(Debug, Clone, Copy)]
pub struct Stop<'a> {
    flag: &'a AtomicBool,
    /// A process-mode child's parent when it started; `None` in the server itself.
    parent: Option<u32>,
}

impl<'a> Stop<'a> {
    /// A connection served in the server's own process: stops with `flag`.
    pub fn server(flag: &'a AtomicBool) -> Stop<'a> {
        Stop { flag, parent: None }
    }

    /// A process-mode child's connection: stops with `flag` or when the parent goes (the
    /// child is then re-parented, and its parent id changes).
    pub fn child(flag: &'a AtomicBool) -> Stop<'a> {
        Stop {
            flag,
            parent: crate::platform::parent_id(),
        }
    }

    /// Whether the connection must end now.
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
            || self
                .parent
                .is_some_and(|p| crate::platform::parent_id() != Some(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_stops_both_and_a_living_parent_stops_neither() {
        let flag = AtomicBool::new(false);
        assert!(!Stop::server(&flag).is_set());
        assert!(!Stop::child(&flag).is_set());
        flag.store(true, Ordering::Relaxed);
        assert!(Stop::server(&flag).is_set());
        assert!(Stop::child(&flag).is_set());
        // A parent that is not ours (ours is gone; on Windows, unknown).
        let orphan = Stop {
            flag: &AtomicBool::new(false),
            parent: Some(u32::MAX),
        };
        assert!(orphan.is_set());
    }
}
