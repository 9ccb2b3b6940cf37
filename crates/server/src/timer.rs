//! Connection deadlines: the nearest one bounds how long the event loop sleeps.
//!
//! Each connection has at most one entry, removed when it comes due, when the connection schedules
//! an earlier one, or when the connection closes. So the set never holds more entries than there
//! are connections open, and being a B-tree it frees its nodes as it empties: a crowd of short
//! connections leaves nothing behind once it has gone.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Stands in for a deadline too far away to represent (about a century from now).
const FAR: Duration = Duration::from_secs(100 * 365 * 86_400);

/// `t + d`, or a century after `t` when that overflows: no `Duration` makes a deadline panic.
pub(crate) fn after(t: Instant, d: Duration) -> Instant {
    t.checked_add(d).or_else(|| t.checked_add(FAR)).unwrap_or(t)
}

/// One scheduled wake-up: when, which slot, and which connection occupied it.
type Entry = (Instant, usize, u64);

/// Connection deadlines, earliest first.
#[derive(Debug, Default)]
pub(crate) struct Deadlines {
    set: BTreeSet<Entry>,
}

impl Deadlines {
    /// Schedules a wake-up for connection `id` in slot `slot` at `at`.
    pub(crate) fn schedule(&mut self, at: Instant, slot: usize, id: u64) {
        self.set.insert((at, slot, id));
    }

    /// Withdraws a wake-up scheduled with [`Deadlines::schedule`] (no-op if already gone).
    pub(crate) fn cancel(&mut self, at: Instant, slot: usize, id: u64) {
        self.set.remove(&(at, slot, id));
    }

    /// The earliest scheduled wake-up, if any.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.set.first().map(|(at, _, _)| *at)
    }

    /// Removes and returns every entry due at or before `now` as `(at, slot, id)`.
    pub(crate) fn expired(&mut self, now: Instant) -> Vec<(Instant, usize, u64)> {
        let mut due = Vec::new();
        while self.set.first().is_some_and(|(at, _, _)| *at <= now) {
            due.extend(self.set.pop_first());
        }
        due
    }

    /// Number of wake-ups scheduled.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.set.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_saturates_instead_of_overflowing() {
        let t0 = Instant::now();
        assert_eq!(
            after(t0, Duration::from_secs(1)),
            t0 + Duration::from_secs(1)
        );
        assert!(after(t0, Duration::MAX) > t0 + Duration::from_secs(86_400 * 365));
        assert!(after(t0, Duration::from_secs(u64::MAX)) > t0);
    }

    #[test]
    fn expired_returns_due_entries_earliest_first_and_keeps_later_ones() {
        let t0 = Instant::now();
        let mut d = Deadlines::default();
        d.schedule(t0 + Duration::from_secs(3), 1, 10);
        d.schedule(t0 + Duration::from_secs(1), 2, 20);
        d.schedule(t0 + Duration::from_secs(2), 3, 30);
        assert_eq!(d.next(), Some(t0 + Duration::from_secs(1)));
        let due = d.expired(t0 + Duration::from_secs(2));
        let slots: Vec<usize> = due.iter().map(|e| e.1).collect();
        assert_eq!(slots, vec![2, 3]);
        assert_eq!(d.len(), 1);
        assert_eq!(d.next(), Some(t0 + Duration::from_secs(3)));
    }

    #[test]
    fn a_crowd_that_closes_leaves_no_entry_behind() {
        let t0 = Instant::now();
        let mut d = Deadlines::default();
        for id in 0..4096u64 {
            let at = t0 + Duration::from_secs(10) + Duration::from_millis(id);
            d.schedule(at, (id % 64) as usize, id);
        }
        for id in 0..4096u64 {
            let at = t0 + Duration::from_secs(10) + Duration::from_millis(id);
            d.cancel(at, (id % 64) as usize, id);
        }
        assert_eq!(d.len(), 0);
        assert_eq!(d.next(), None);
    }

    #[test]
    fn cancel_withdraws_only_the_entry_named() {
        let t0 = Instant::now();
        let mut d = Deadlines::default();
        d.schedule(t0 + Duration::from_secs(1), 1, 10);
        d.schedule(t0 + Duration::from_secs(2), 1, 11);
        d.cancel(t0 + Duration::from_secs(1), 1, 10);
        d.cancel(t0 + Duration::from_secs(1), 1, 10);
        assert_eq!(d.next(), Some(t0 + Duration::from_secs(2)));
        assert_eq!(d.len(), 1);
    }
}
