//! The fault rules a running server applies, and how often each fired: one table behind
//! a lock, so that `times:N` counts across every connection and a test can replace the
//! rules while the server runs; and the decoded path a rule matches. Process mode's
//! children reach the parent's table through `control.rs`.

use std::sync::{Mutex, MutexGuard};

use super::Fault;
use crate::http::target::Target;

/// The rules in force and their fire counts (index for index).
#[derive(Debug, Default)]
pub(crate) struct FaultSet {
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    rules: Vec<Fault>,
    fired: Vec<u64>,
}

impl FaultSet {
    /// A set of (checked) rules, none fired yet.
    pub(crate) fn new(rules: Vec<Fault>) -> FaultSet {
        let set = FaultSet::default();
        set.replace(rules);
        set
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // A panic elsewhere cannot leave the table half-written: every change is one
        // assignment, so a poisoned lock still holds a consistent table.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the rules; the counts start again from zero.
    pub(crate) fn replace(&self, rules: Vec<Fault>) {
        let fired = vec![0; rules.len()];
        *self.lock() = Table { rules, fired };
    }

    /// How often each rule fired, in rule order.
    pub(crate) fn counts(&self) -> Vec<u64> {
        self.lock().fired.clone()
    }

    /// The rule that applies to a request for `path` (decoded), counted as fired, with
    /// its index; a rule that has fired its `times` no longer matches.
    pub(crate) fn decide(&self, path: &str) -> Option<(usize, Fault)> {
        let mut table = self.lock();
        let Table { rules, fired } = &mut *table;
        let i = rules
            .iter()
            .zip(fired.iter())
            .position(|(rule, &n)| rule.times.is_none_or(|max| n < max) && rule.matches(path))?;
        fired[i] += 1;
        Some((i, rules[i].clone()))
    }
}

/// The decoded path a rule's glob is matched against: `/`, the clean segments joined by
/// `/`, and the trailing slash if the target had one (`/a%20b/` → `/a b/`).
pub(crate) fn decoded_path(target: &str) -> Option<String> {
    let target = Target::parse(target).ok()?;
    let mut path = String::new();
    for segment in target.segments() {
        path.push('/');
        path.push_str(segment);
    }
    if target.trailing_slash || path.is_empty() {
        path.push('/');
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn paths_are_decoded_and_cleaned_before_matching() {
        for (target, want) in [
            ("/", Some("/")),
            ("/a%20b/", Some("/a b/")),
            ("/x/../data.json?q=1", Some("/data.json")),
            ("http://h/api/x.json", Some("/api/x.json")),
            ("/..", None),
        ] {
            assert_eq!(decoded_path(target).as_deref(), want, "{target}");
        }
    }

    /// `times:N` counts requests, not connections; an exhausted rule lets the next apply.
    #[test]
    fn times_counts_and_an_exhausted_rule_falls_through() {
        let set = FaultSet::new(vec![
            Fault::on("/data.json").status(503).times(2),
            Fault::on("**").throttle(1000),
        ]);
        let fired: Vec<Option<usize>> = (0..4)
            .map(|_| set.decide("/data.json").map(|(i, _)| i))
            .collect();
        assert_eq!(fired, [Some(0), Some(0), Some(1), Some(1)]);
        assert_eq!(set.counts(), [2, 2]);
        set.replace(vec![Fault::on("/other").drop_connection()]);
        assert_eq!(set.counts(), [0]);
        assert!(set.decide("/data.json").is_none());
        assert_eq!(set.decide("/other").map(|(i, _)| i), Some(0));
    }

    #[test]
    fn threads_share_the_count() {
        let set = Arc::new(FaultSet::new(vec![Fault::on("**").status(503).times(50)]));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let set = Arc::clone(&set);
                std::thread::spawn(move || (0..100).filter(|_| set.decide("/x").is_some()).count())
            })
            .collect();
        let total: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(total, 50);
    }
}
