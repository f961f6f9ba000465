//! Users, sessions and API keys.

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{new_id, now_millis, NewUser, Role, Rotation, StoreResult, User};

use super::{conflict, invalid_ref, not_found, user, HOUR};

conformance!(
    users_golden_path,
    duplicate_email_is_a_conflict_whatever_the_case,
    session_rotation_is_single_use,
    replaying_a_rotated_token_revokes_its_family,
    role_changes_raise_the_token_epoch,
    expired_and_deleted_sessions_are_refused,
    api_keys,
);

async fn users_golden_path(c: &SqlCatalog) {
    c.ping().await.expect("ping");
    let before = now_millis();
    let u = c
        .create_user(NewUser {
            email: "Ada@Example.ORG".into(),
            display_name: "Ada L.".into(),
            password_hash: "phc-string".into(),
            role: Role::Listener,
        })
        .await
        .expect("create");
    assert_eq!(u.email, "ada@example.org", "stored lower-cased");
    assert_eq!(u.role, Role::Listener);
    assert!(u.created_at >= before && u.updated_at == u.created_at);
    assert_eq!(c.user(u.id).await.expect("get"), u);

    let (found, hash) = c
        .user_credentials("ADA@example.org")
        .await
        .expect("credentials");
    assert_eq!((found, hash.as_str()), (u.clone(), "phc-string"));

    let admin = c.set_user_role(u.id, Role::Admin).await.expect("role");
    assert_eq!(admin.role, Role::Admin);
    assert!(admin.updated_at >= u.updated_at);
    assert_eq!(c.user(u.id).await.expect("get"), admin);

    not_found(c.user(new_id()).await);
    not_found(c.user_credentials("nobody@example.org").await);
    not_found(c.set_user_role(new_id(), Role::Artist).await);
}

async fn duplicate_email_is_a_conflict_whatever_the_case(c: &SqlCatalog) {
    user(c, "bob@example.com").await;
    let again = c
        .create_user(NewUser {
            email: "BOB@Example.com".into(),
            display_name: "Other Bob".into(),
            password_hash: "x".into(),
            role: Role::Listener,
        })
        .await;
    conflict(again);
    let (u, _) = c
        .user_credentials("bob@example.com")
        .await
        .expect("first stays");
    assert_eq!(u.display_name, "User bob@example.com");
}

/// The user of a rotation (panics if it did not rotate).
fn rotated(r: StoreResult<Rotation>) -> User {
    match r.expect("rotation") {
        Rotation::Rotated(user) => user,
        other => panic!("expected a rotation, got {other:?}"),
    }
}

async fn session_rotation_is_single_use(c: &SqlCatalog) {
    let u = user(c, "s@example.com").await;
    let now = now_millis();
    let fam = new_id();
    c.create_session(u.id, fam, "h1", now + HOUR)
        .await
        .expect("session");
    conflict(c.create_session(u.id, new_id(), "h1", now + HOUR).await);
    invalid_ref(
        c.create_session(new_id(), new_id(), "h9", now + HOUR).await,
        "user",
    );

    let who = rotated(c.rotate_session(fam, "h1", "h2", now + HOUR, now).await);
    assert_eq!(who, u);
    // Named with another family, a used token is simply unknown.
    not_found(
        c.rotate_session(new_id(), "h1", "h3", now + HOUR, now)
            .await,
    );
    let who = rotated(c.rotate_session(fam, "h2", "h3", now + HOUR, now).await);
    assert_eq!(who.id, u.id);
    not_found(
        c.rotate_session(new_id(), "h2", "h4", now + HOUR, now)
            .await,
    );
    // A token from before families adopts the family its successor names; replaying it
    // then revokes that family.
    let adopted = new_id();
    rotated(c.rotate_session(adopted, "h3", "h4", now + HOUR, now).await);
    assert_eq!(
        c.rotate_session(adopted, "h3", "h5", now + HOUR, now)
            .await
            .expect("replay"),
        Rotation::Reused { user_id: u.id }
    );
}

async fn replaying_a_rotated_token_revokes_its_family(c: &SqlCatalog) {
    let u = user(c, "thief@example.com").await;
    let now = now_millis();
    let (fam, other_fam) = (new_id(), new_id());
    c.create_session(u.id, fam, "t1", now + HOUR)
        .await
        .expect("session");
    c.create_session(u.id, other_fam, "o1", now + HOUR)
        .await
        .expect("another sign-in");
    rotated(c.rotate_session(fam, "t1", "t2", now + HOUR, now).await);
    // t1 again: a replay. The family goes, and the user's access tokens with it.
    let replay = c
        .rotate_session(fam, "t1", "t3", now + HOUR, now)
        .await
        .expect("replay");
    assert_eq!(replay, Rotation::Reused { user_id: u.id });
    assert_eq!(c.user(u.id).await.expect("user").token_epoch, 1);
    // The newer token of the family is dead too; replaying again finds nothing to revoke.
    not_found(c.rotate_session(fam, "t2", "t4", now + HOUR, now).await);
    not_found(c.rotate_session(fam, "t1", "t4", now + HOUR, now).await);
    assert_eq!(c.user(u.id).await.expect("user").token_epoch, 1);
    // Another sign-in of the same user keeps working.
    rotated(
        c.rotate_session(other_fam, "o1", "o2", now + HOUR, now)
            .await,
    );
    // An expired family is not revoked (nothing to steal), and the epoch stays.
    let old = new_id();
    c.create_session(u.id, old, "e1", now + 1_000)
        .await
        .expect("session");
    rotated(c.rotate_session(old, "e1", "e2", now + 1_000, now).await);
    not_found(
        c.rotate_session(old, "e1", "e3", now + HOUR, now + 2_000)
            .await,
    );
    assert_eq!(c.user(u.id).await.expect("user").token_epoch, 1);
}

async fn role_changes_raise_the_token_epoch(c: &SqlCatalog) {
    let u = user(c, "epoch@example.com").await;
    assert_eq!(u.token_epoch, 0);
    let same = c.set_user_role(u.id, u.role).await.expect("same role");
    assert_eq!(same.token_epoch, 0, "setting the same role revokes nothing");
    let demoted = c.set_user_role(u.id, Role::Listener).await.expect("demote");
    assert_eq!(demoted.token_epoch, 1);
    let promoted = c.set_user_role(u.id, Role::Artist).await.expect("promote");
    assert_eq!(promoted.token_epoch, 2);
    assert_eq!(c.user(u.id).await.expect("get").token_epoch, 2);
    let (found, _) = c.user_credentials(&u.email).await.expect("credentials");
    assert_eq!(found.token_epoch, 2);
}

async fn expired_and_deleted_sessions_are_refused(c: &SqlCatalog) {
    let u = user(c, "e@example.com").await;
    let now = now_millis();
    let fam = new_id();
    c.create_session(u.id, fam, "short", now + 1_000)
        .await
        .expect("session");
    // Valid now, expired a second later.
    not_found(
        c.rotate_session(fam, "short", "n1", now + HOUR, now + 1_000)
            .await,
    );
    not_found(
        c.rotate_session(fam, "short", "n1", now + HOUR, now + 5_000)
            .await,
    );
    let who = rotated(
        c.rotate_session(fam, "short", "n1", now + HOUR, now + 999)
            .await,
    );
    assert_eq!(who.id, u.id);

    c.delete_session("n1").await.expect("logout");
    not_found(c.rotate_session(fam, "n1", "n2", now + HOUR, now).await);
    c.delete_session("n1").await.expect("logout is idempotent");
    c.delete_session("never-existed")
        .await
        .expect("unknown token");
    assert_eq!(c.user(u.id).await.expect("user").token_epoch, 0);
}

async fn api_keys(c: &SqlCatalog) {
    let u = user(c, "k@example.com").await;
    let other = user(c, "o@example.com").await;
    let k1 = c
        .create_api_key(u.id, "laptop", "hash-1")
        .await
        .expect("key 1");
    let k2 = c.create_api_key(u.id, "ci", "hash-2").await.expect("key 2");
    assert_eq!((k1.user_id, k1.name.as_str()), (u.id, "laptop"));
    conflict(c.create_api_key(other.id, "dup", "hash-1").await);
    invalid_ref(c.create_api_key(new_id(), "ghost", "hash-3").await, "user");

    assert_eq!(
        c.list_api_keys(u.id).await.expect("list"),
        vec![k1.clone(), k2.clone()]
    );
    assert!(c.list_api_keys(other.id).await.expect("list").is_empty());
    assert_eq!(c.api_key_user("hash-2").await.expect("lookup"), u);
    not_found(c.api_key_user("hash-unknown").await);

    not_found(c.delete_api_key(other.id, k1.id).await);
    not_found(c.delete_api_key(u.id, new_id()).await);
    c.delete_api_key(u.id, k1.id).await.expect("delete");
    not_found(c.api_key_user("hash-1").await);
    assert_eq!(c.list_api_keys(u.id).await.expect("list"), vec![k2]);
}
