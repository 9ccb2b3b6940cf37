//! Connection deadlines: the nearest one bounds how long the event loop sleeps.
//!
//! Entries are never removed early. A connection remembers the deadline it scheduled; an entry
//! that no longer matches (the connection closed, its slot was reused, or it scheduled an earlier
//! deadline since) is skipped when it comes due. Each connection therefore has at most a couple of
//! entries in the heap, whatever its traffic.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// Stands in for a deadline too far away to represent (about a century from now).
const FAR: Duration = Duration::from_secs(100 * 365 * 86_400);

/// `t + d`, or a century after `t` when that overflows: no `Duration` makes a deadline panic.
pub(crate) fn after(t: Instant, d: Duration) -> Instant {
    t.checked_add(d).or_else(|| t.checked_add(FAR)).unwrap_or(t)
}

/// One scheduled wake-up: when, which slot, and which connection occupied it.
type Entry = Reverse<(Instant, usize, u64)>;

/// A min-heap of connection deadlines.
#[derive(Debug, Default)]
pub(crate) struct Deadlines {
    heap: BinaryHeap<Entry>,
}

impl Deadlines {
    /// Schedules a wake-up for connection `id` in slot `slot` at `at`.
    pub(crate) fn schedule(&mut self, at: Instant, slot: usize, id: u64) {
        self.heap.push(Reverse((at, slot, id)));
    }

    /// The earliest scheduled wake-up, if any.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Removes and returns every entry due at or before `now` as `(at, slot, id)`.
    pub(crate) fn expired(&mut self, now: Instant) -> Vec<(Instant, usize, u64)> {
        let mut due = Vec::new();
        while let Some(Reverse((at, _, _))) = self.heap.peek() {
            if *at > now {
                break;
            }
            if let Some(Reverse(entry)) = self.heap.pop() {
                due.push(entry);
            }
        }
        due
    }

    /// Number of entries, stale ones included.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.heap.len()
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
}
