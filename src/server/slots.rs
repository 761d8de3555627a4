//! The connection cap, and the registry of open connections that shutdown ends.
//!
//! A [`Slot`] is held for as long as a connection is served (a thread's connection, or a
//! process-mode child's whole life) and released on drop, even when its thread panics.
//! It knows nothing about HTTP.

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The slots of one server.
#[derive(Debug)]
pub(crate) struct Slots {
    max: usize,
    active: AtomicUsize,
    next_id: AtomicU64,
    /// Connections served in this process, by slot id, so shutdown can end them; in
    /// [`SHARDS`] parts by id, so the accept threads registering connections and the
    /// connection threads releasing them seldom wait for one another (issue 17: one
    /// lock made ~1 more futex wait and wake per connection).
    open: [Shard; SHARDS],
}

/// How many parts the registry of open connections has.
const SHARDS: usize = 16;

/// A claim on one of the `max_connections` slots.
pub(crate) struct Slot {
    slots: Arc<Slots>,
    id: Option<u64>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot").field("id", &self.id).finish()
    }
}

impl Slots {
    /// Slots for at most `max` connections at once.
    pub(crate) fn new(max: usize) -> Arc<Slots> {
        Arc::new(Slots {
            max,
            active: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            open: std::array::from_fn(|_| Mutex::new(HashMap::new())),
        })
    }

    /// Takes a slot, or `None` at the cap. A `stream` served in this process is
    /// registered so that shutdown can end it.
    pub(crate) fn take(self: &Arc<Self>, stream: Option<&Arc<TcpStream>>) -> Option<Slot> {
        if self.active.fetch_add(1, Ordering::AcqRel) >= self.max {
            self.active.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        let id = stream.map(|s| {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            self.shard(id).insert(id, Arc::clone(s));
            id
        });
        Some(Slot {
            slots: Arc::clone(self),
            id,
        })
    }

    /// How many slots are held.
    pub(crate) fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    /// Ends every registered connection's reading side: an idle connection sees the
    /// end of its stream and closes; a response being written still completes.
    pub(crate) fn stop_reading(&self) {
        for shard in &self.open {
            for stream in lock(shard).values() {
                let _ = stream.shutdown(Shutdown::Read);
            }
        }
    }

    /// Ends every registered connection in both directions: blocked writes fail.
    pub(crate) fn close_all(&self) {
        for shard in &self.open {
            for stream in lock(shard).values() {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }

    fn shard(&self, id: u64) -> MutexGuard<'_, HashMap<u64, Arc<TcpStream>>> {
        lock(&self.open[(id % SHARDS as u64) as usize])
    }
}

type Shard = Mutex<HashMap<u64, Arc<TcpStream>>>;

fn lock(shard: &Shard) -> MutexGuard<'_, HashMap<u64, Arc<TcpStream>>> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.slots.shard(id).remove(&id);
        }
        self.slots.active.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn the_cap_holds_and_slots_come_back() {
        let slots = Slots::new(2);
        let a = slots.take(None).unwrap();
        let b = slots.take(None).unwrap();
        assert!(slots.take(None).is_none());
        assert_eq!(slots.active(), 2);
        drop(a);
        let c = slots.take(None).unwrap();
        drop((b, c));
        assert_eq!(slots.active(), 0);
    }

    /// Pins `platform::SHUTDOWN_WAKES_READS` both ways: on Unix `stop_reading` wakes a
    /// blocked reader at once; on Windows it does not, which is why connections there
    /// look at the stop flag every `platform::STOP_POLL`.
    #[test]
    fn stop_reading_wakes_a_blocked_reader_where_the_platform_says_so() {
        use std::io::Read;
        use std::time::{Duration, Instant};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let server_side = Arc::new(listener.accept().unwrap().0);
        let slots = Slots::new(10);
        let slot = slots.take(Some(&server_side)).unwrap();
        let reader = Arc::clone(&server_side);
        let timeout = Duration::from_secs(1);
        reader.set_read_timeout(Some(timeout)).unwrap();
        let t = std::thread::spawn(move || {
            let start = Instant::now();
            ((&*reader).read(&mut [0u8; 16]).ok(), start.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        slots.stop_reading();
        let (read, waited) = t.join().unwrap();
        if crate::platform::SHUTDOWN_WAKES_READS {
            assert_eq!(read, Some(0));
            assert!(waited < timeout, "woken only by the timeout: {waited:?}");
        } else {
            assert_eq!(read, None, "woken by shutdown: update SHUTDOWN_WAKES_READS");
            assert!(waited >= timeout - Duration::from_millis(50), "{waited:?}");
        }
        drop(slot);
        assert!(slots.open.iter().all(|shard| lock(shard).is_empty()));
    }
}
