//! Fault injection: `backbeat serve` killed with SIGKILL at the worst moments of the write
//! paths, restarted on the same data, on SQLite and on PostgreSQL. Whatever the moment, nothing
//! half-written becomes visible, no slot stays unusable for longer than its lock's lease, and
//! the client's retry succeeds.
//!
//! - during a PUT: the body was half sent; the key holds no bytes, the same URL takes the
//!   whole upload after the restart and a track is made from it;
//! - during a claim (`POST /tracks` between locking the slot and claiming it, watched in the
//!   database): after the restart the dead request's lock keeps the slot busy (`409`) only
//!   until its lease ends, then the retry makes exactly one track, whose audio is the upload.
//!
//! PostgreSQL tests get a database of their own (`backbeat_store::testing`); unreachable, they
//! print `SKIP` unless `BACKBEAT_REQUIRE_SERVICES=1`.

use std::io::Write as _;
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use backbeat_store::prelude::*;
use backbeat_store::testing::TestDb;
use backbeat_store::{now_millis, SlotState};

use crate::common::scratch;
use crate::live::{
    album_tracks, artist_with_album, create_track, json, key_of, noise_wav, put, rt, slot, Server,
};
use crate::process::{path_of, read_reply, request_head};

/// The slot lock's lease (`backbeat-catalog`'s `slot_lock::LEASE_MS`) plus slack: how long a
/// dead request may keep a slot busy.
const LEASE: Duration = Duration::from_secs(35);

// ---------------------------------------------------------------------------------------------
// Scenarios

/// SIGKILL with half of a 4 MiB body sent.
fn killed_during_a_put(data: &Path, db: Option<&TestDb>) {
    let mut server = Server::start(data, db.map(|d| d.url.as_str()));
    let addr = server.addr;
    let (token, album) = artist_with_album(addr);
    let (upload_url, track_url) = slot(addr, &token);
    let audio = noise_wav(24); // 4.2 MB

    let mut s = TcpStream::connect(addr).expect("connecting");
    let head = request_head(
        addr,
        "PUT",
        path_of(&upload_url),
        None,
        "application/octet-stream",
        audio.len(),
    );
    s.write_all(head.as_bytes()).expect("head");
    s.write_all(&audio[..audio.len() / 2])
        .expect("half the body");
    s.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(500));
    server.kill9();
    drop(s);

    let key = key_of(&upload_url);
    let visible = data.join("blobs").join(&key);
    assert!(
        !visible.exists(),
        "half an upload became visible at {}",
        visible.display()
    );

    server.restart();
    // Nothing landed: a track cannot be made from the slot yet.
    let (status, reply) = create_track(addr, &token, &album, &track_url);
    assert_eq!(status, 422, "{reply}");
    // The same URL takes the whole upload, and the track is made from it.
    let (status, reply) = put(addr, &upload_url, &audio);
    assert_eq!(status, 200, "{reply}\n{}", server.log());
    let (status, reply) = create_track(addr, &token, &album, &track_url);
    assert_eq!(status, 201, "{reply}\n{}", server.log());
    assert_eq!(
        std::fs::metadata(&visible).expect("the upload").len(),
        audio.len() as u64
    );
}

/// SIGKILL while `POST /tracks` holds the slot's lock, before its claim commits.
fn killed_during_a_claim(data: &Path, db: Option<&TestDb>) {
    let rt = rt();
    let mut server = Server::start(data, db.map(|d| d.url.as_str()));
    let addr = server.addr;
    let (token, album) = artist_with_album(addr);
    let (upload_url, track_url) = slot(addr, &token);
    // Long enough that the check takes a while after the lock is taken.
    let audio = noise_wav(600);
    let (status, reply) = put(addr, &upload_url, &audio);
    assert_eq!(status, 200, "{reply}");
    let key = key_of(&upload_url);
    let catalog = rt.block_on(server.catalog());

    let request = {
        let (token, album, track_url) = (token.clone(), album.clone(), track_url.clone());
        std::thread::spawn(move || {
            // The connection dies with the server: any answer (or none) is fine.
            let body =
                format!(r#"{{"albumId":"{album}","title":"Survivor","trackUrl":"{track_url}"}}"#);
            let Ok(mut s) = TcpStream::connect(addr) else {
                return;
            };
            let head = request_head(
                addr,
                "POST",
                "/api/v1/tracks",
                Some(&token),
                "application/json",
                body.len(),
            );
            if s.write_all(head.as_bytes()).is_ok() && s.write_all(body.as_bytes()).is_ok() {
                let _ = std::panic::catch_unwind(move || read_reply(&mut s));
            }
        })
    };
    // Kill the moment the lock is seen held.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut caught = false;
    while Instant::now() < deadline && !request.is_finished() {
        let state = rt
            .block_on(catalog.upload_state(&key, now_millis()))
            .expect("slot state");
        if matches!(state, SlotState::Busy { .. }) {
            server.kill9();
            caught = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = request.join();
    assert!(
        caught,
        "the claim ended before the lock was seen: the check was too quick to catch \
         (make the upload longer)"
    );
    let locked = rt
        .block_on(catalog.upload_state(&key, now_millis()))
        .expect("slot state");
    assert!(
        matches!(locked, SlotState::Busy { .. }),
        "the dead request's lock: {locked:?}"
    );

    server.restart();
    assert!(
        album_tracks(addr, &token, &album).is_empty(),
        "a killed claim made a track"
    );
    // The retry is told to wait while the dead request's lease runs, then succeeds.
    let started = Instant::now();
    let created = loop {
        let (status, reply) = create_track(addr, &token, &album, &track_url);
        match status {
            201 => break json(&reply),
            409 if started.elapsed() < LEASE => std::thread::sleep(Duration::from_millis(500)),
            _ => panic!(
                "retry after {:?}: {status} {reply}\n{}",
                started.elapsed(),
                server.log()
            ),
        }
    };
    eprintln!(
        "the retry succeeded {:?} after the restart",
        started.elapsed()
    );
    let tracks = album_tracks(addr, &token, &album);
    assert_eq!(tracks.len(), 1, "{tracks:?}");
    assert_eq!(tracks[0]["id"], created["id"]);
    // The slot is used up: a late PUT is refused, the track keeps its audio.
    let (status, reply) = put(addr, &upload_url, b"NOT AUDIO");
    assert_eq!(status, 409, "{reply}");
    assert_eq!(
        std::fs::metadata(data.join("blobs").join(&key))
            .expect("the track's audio")
            .len(),
        audio.len() as u64
    );
}

// ---------------------------------------------------------------------------------------------
// The suite, on both databases

fn postgres(test: &str) -> Option<TestDb> {
    rt().block_on(backbeat_store::testing::postgres(test))
}

#[test]
fn sqlite_serve_killed_during_a_put() {
    killed_during_a_put(&scratch("fault-put-sqlite"), None);
}

#[test]
fn postgres_serve_killed_during_a_put() {
    let Some(db) = postgres("postgres_serve_killed_during_a_put") else {
        return;
    };
    killed_during_a_put(&scratch("fault-put-pg"), Some(&db));
}

#[test]
fn sqlite_serve_killed_during_a_claim() {
    killed_during_a_claim(&scratch("fault-claim-sqlite"), None);
}

#[test]
fn postgres_serve_killed_during_a_claim() {
    let Some(db) = postgres("postgres_serve_killed_during_a_claim") else {
        return;
    };
    killed_during_a_claim(&scratch("fault-claim-pg"), Some(&db));
}
