//! The connection caps: at most `max_connections` open at once, and at most
//! `max_connections_per_ip` from one client. A connection over either cap is closed as soon as
//! it is accepted, before a byte is read (as HAProxy's `tcp-request connection reject` does):
//! answering it would mean reading a request from a client that is already holding too much.
//!
//! IPv6 clients are counted per /64, the block one subscriber usually gets, since one host
//! can pick any address in it; IPv4 (and IPv4-mapped IPv6) per address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Counts open connections and admits new ones within the caps.
#[derive(Clone)]
pub struct ConnectionGate(Arc<Gate>);

struct Gate {
    max_total: usize,
    /// 0: no per-client cap.
    max_per_client: usize,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
}

/// An admitted connection's place; dropping it frees the place.
pub struct Admitted {
    gate: Arc<Gate>,
    client: IpAddr,
}

impl ConnectionGate {
    /// A gate with these caps (`max_per_client` 0: no per-client cap).
    pub fn new(max_total: usize, max_per_client: usize) -> Self {
        Self(Arc::new(Gate {
            max_total,
            max_per_client,
            counts: Mutex::new(Counts::default()),
        }))
    }

    /// A place for a connection from `peer`, or `None` when a cap is reached.
    pub fn admit(&self, peer: IpAddr) -> Option<Admitted> {
        let client = client_of(peer);
        let gate = &self.0;
        let mut counts = gate.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= gate.max_total {
            return None;
        }
        let mine = counts.per_client.entry(client).or_insert(0);
        if gate.max_per_client > 0 && *mine >= gate.max_per_client {
            return None;
        }
        *mine += 1;
        counts.total += 1;
        Some(Admitted {
            gate: gate.clone(),
            client,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.0
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut counts = self
            .gate
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_client.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                // Keeps the map as small as the set of clients connected now.
                counts.per_client.remove(&self.client);
            }
        }
    }
}

/// The key a peer is counted under: its IPv4 address, or its IPv6 /64.
fn client_of(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn one_client_gets_its_cap_and_the_others_still_get_in() {
        let gate = ConnectionGate::new(10, 2);
        let a1 = gate.admit(ip("10.0.0.1")).unwrap();
        let _a2 = gate.admit(ip("10.0.0.1")).unwrap();
        assert!(gate.admit(ip("10.0.0.1")).is_none());
        let _b = gate.admit(ip("10.0.0.2")).unwrap();
        assert_eq!(gate.open(), 3);
        drop(a1);
        assert!(gate.admit(ip("10.0.0.1")).is_some());
    }

    #[test]
    fn the_total_cap_holds_across_clients() {
        let gate = ConnectionGate::new(2, 0);
        let _a = gate.admit(ip("10.0.0.1")).unwrap();
        let b = gate.admit(ip("10.0.0.2")).unwrap();
        assert!(gate.admit(ip("10.0.0.3")).is_none());
        drop(b);
        assert!(gate.admit(ip("10.0.0.3")).is_some());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let gate = ConnectionGate::new(10, 1);
        let _a = gate.admit(ip("2001:db8:1:2::1")).unwrap();
        assert!(gate.admit(ip("2001:db8:1:2:ffff::9")).is_none());
        assert!(gate.admit(ip("2001:db8:1:3::1")).is_some());
        let _v4 = gate.admit(ip("192.0.2.7")).unwrap();
        assert!(gate.admit(ip("::ffff:192.0.2.7")).is_none());
    }

    #[test]
    fn places_are_given_back_and_forgotten() {
        let gate = ConnectionGate::new(10, 3);
        let places: Vec<_> = (0..3)
            .map(|_| gate.admit(ip("10.0.0.1")).unwrap())
            .collect();
        drop(places);
        assert_eq!(gate.open(), 0);
        assert!(gate.0.counts.lock().unwrap().per_client.is_empty());
    }
}
