//! Operators' account changes on both backends: create, change, disable, passwords, the
//! audit log, and bad input that changes nothing (the state is compared before and after).

use crate::common::{account, accounts};
use gridwork_core::model::Role;
use gridwork_server::{
    account::{new_token, verify_password},
    admin::{self, NewUser, UserChange},
    storage::{AuditEntry, Storage, UserListing},
    StorageError,
};
use std::sync::Arc;

const GRID: &str = include_str!("../../../data/kcity-grid.geojson");
const CATALOG: &str = include_str!("../../../data/kcity-catalog.json");

/// Everything operators' changes touch: every account as listed (hash, department,
/// state, last activity) and the whole audit log.
async fn snapshot(s: &dyn Storage) -> (Vec<UserListing>, Vec<AuditEntry>) {
    (s.users().await.unwrap(), s.audit_log(10_000).await.unwrap())
}

fn new(name: &str, role: Role, scope: &str, password: Option<&str>) -> NewUser {
    NewUser {
        name: name.into(),
        role,
        scope: scope.into(),
        department: None,
        password: password.map(Into::into),
    }
}

async fn token(s: &dyn Storage, user: &str) -> String {
    let (token, digest) = new_token().unwrap();
    s.add_token(user, &digest, "").await.unwrap();
    token
}

async fn signed_in(s: &dyn Storage, token: &str) -> bool {
    s.account_by_token(&gridwork_server::account::token_digest(token), 0)
        .await
        .unwrap()
        .is_some()
}

pub async fn users_are_created_changed_and_listed(s: Arc<dyn Storage>) {
    let s = s.as_ref();
    admin::import_grid(s, GRID).await.unwrap();
    admin::import_catalog(s, CATALOG).await.unwrap();
    let mut handler = new("chen", Role::Handler, "320508", Some("chen-pass-1"));
    handler.department = Some("sanitation".into());
    admin::create_user(s, "cli:root", handler).await.unwrap();
    admin::create_user(
        s,
        "cli:root",
        new("li", Role::Worker, "320508001", Some("li-pass-1")),
    )
    .await
    .unwrap();
    let t = token(s, "li").await;

    // A scope change keeps the password (and signs the devices out).
    admin::change_user(
        s,
        "wang",
        "li",
        UserChange {
            scope: Some("320508002".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let li = s.user("li").await.unwrap().unwrap();
    assert_eq!(li.account.scope, vec!["320508002".to_string()]);
    assert!(verify_password(
        "li-pass-1",
        li.account.password_hash.as_deref().unwrap()
    ));
    assert!(!signed_in(s, &t).await, "a scope change revokes the tokens");

    // A department change alone keeps the tokens.
    let t = token(s, "chen").await;
    admin::change_user(
        s,
        "cli:root",
        "chen",
        UserChange {
            department: Some(None),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(signed_in(s, &t).await);

    let users = s.users().await.unwrap();
    let names: Vec<&str> = users
        .iter()
        .map(|u| u.record.account.user.as_str())
        .collect();
    assert_eq!(names, ["chen", "li"]);
    assert!(users[0].last_activity_ms.is_some(), "chen signed in");
    assert_eq!(users[0].record.department, None);
    assert_eq!(users[1].record.account.role, Role::Worker);

    // Disabled: no sign-in, no token, no new token; enabled again it may sign in.
    let t = token(s, "li").await;
    admin::set_disabled(s, "cli:root", "li", true)
        .await
        .unwrap();
    assert!(!signed_in(s, &t).await);
    assert!(
        s.account("li").await.unwrap().is_none(),
        "sign-in does not find it"
    );
    assert!(matches!(
        s.add_token("li", &new_token().unwrap().1, "").await,
        Err(StorageError::Invalid(_))
    ));
    assert!(s.user("li").await.unwrap().unwrap().disabled);
    admin::set_disabled(s, "cli:root", "li", false)
        .await
        .unwrap();
    assert!(s.account("li").await.unwrap().is_some());

    // Passwords: an operator's reset, a user's own change with the current one.
    admin::set_password(s, "cli:root", "li", "li-pass-2")
        .await
        .unwrap();
    admin::change_own_password(s, "li", "li-pass-2", "li-pass-3")
        .await
        .unwrap();
    let hash = s
        .user("li")
        .await
        .unwrap()
        .unwrap()
        .account
        .password_hash
        .unwrap();
    assert!(verify_password("li-pass-3", &hash));

    let log = s.audit_log(100).await.unwrap();
    let seen: Vec<(&str, &str, &str)> = log
        .iter()
        .rev()
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.target.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("cli:root", "user.create", "chen"),
            ("cli:root", "user.create", "li"),
            ("wang", "user.change", "li"),
            ("cli:root", "user.change", "chen"),
            ("cli:root", "user.disable", "li"),
            ("cli:root", "user.enable", "li"),
            ("cli:root", "user.password", "li"),
            ("li", "user.password", "li"),
        ]
    );
    assert_eq!(log[5].detail, "scope 320508001 -> 320508002");
    assert!(
        log.iter().all(|e| !e.detail.contains("pass-")),
        "no password in the log"
    );
    assert_eq!(s.audit_log(2).await.unwrap().len(), 2);
}

pub async fn bad_admin_input_changes_nothing(s: Arc<dyn Storage>) {
    let s = s.as_ref();
    accounts(s).await;
    admin::import_grid(s, GRID).await.unwrap();
    admin::import_catalog(s, CATALOG).await.unwrap();
    admin::create_user(
        s,
        "cli:root",
        new("sun", Role::Worker, "320508001", Some("sun-pass-1")),
    )
    .await
    .unwrap();
    let t = token(s, "sun").await;
    let before = snapshot(s).await;
    let scope = |text: &str| UserChange {
        scope: Some(text.into()),
        ..Default::default()
    };
    let department = |d: &str| UserChange {
        department: Some(Some(d.into())),
        ..Default::default()
    };
    let mut with_dept = new("zhou", Role::Handler, "320508", None);
    with_dept.department = Some("no-such-department".into());
    let failures: Vec<(&str, StorageError)> = vec![
        (
            "a taken name",
            admin::create_user(s, "x", new("sun", Role::Worker, "320508001", None))
                .await
                .unwrap_err(),
        ),
        (
            "a scope matching no cell",
            admin::create_user(s, "x", new("zhou", Role::Worker, "999", None))
                .await
                .unwrap_err(),
        ),
        (
            "a bad scope",
            admin::create_user(s, "x", new("zhou", Role::Worker, "32a", None))
                .await
                .unwrap_err(),
        ),
        (
            "a bad name",
            admin::create_user(s, "x", new("a/b", Role::Worker, "*", None))
                .await
                .unwrap_err(),
        ),
        (
            "a short password",
            admin::create_user(s, "x", new("zhou", Role::Worker, "*", Some("short")))
                .await
                .unwrap_err(),
        ),
        (
            "an unknown department",
            admin::create_user(s, "x", with_dept).await.unwrap_err(),
        ),
        (
            "a change to a scope matching no cell",
            admin::change_user(s, "x", "sun", scope("3205089"))
                .await
                .unwrap_err(),
        ),
        (
            "a change to an unknown department",
            admin::change_user(s, "x", "sun", department("nope"))
                .await
                .unwrap_err(),
        ),
        (
            "a change of nothing",
            admin::change_user(s, "x", "sun", scope("320508001"))
                .await
                .unwrap_err(),
        ),
        (
            "a change of an unknown account",
            admin::change_user(s, "x", "nobody", scope("*"))
                .await
                .unwrap_err(),
        ),
        (
            "enabling an enabled account",
            admin::set_disabled(s, "x", "sun", false).await.unwrap_err(),
        ),
        (
            "disabling an unknown account",
            admin::set_disabled(s, "x", "nobody", true)
                .await
                .unwrap_err(),
        ),
        (
            "a short new password",
            admin::set_password(s, "x", "sun", "short")
                .await
                .unwrap_err(),
        ),
        (
            "a wrong current password",
            admin::change_own_password(s, "sun", "wrong-pass", "sun-pass-2")
                .await
                .unwrap_err(),
        ),
    ];
    for (what, e) in &failures {
        assert!(
            matches!(e, StorageError::Invalid(_) | StorageError::NotFound(_)),
            "{what}: {e}"
        );
        assert!(!e.to_string().contains("pass-"), "{what}: {e}");
    }
    assert!(failures[1].1.to_string().contains("matches no cell"));
    assert!(
        failures[5].1.to_string().contains("sanitation"),
        "names the known ones"
    );
    assert_eq!(snapshot(s).await, before, "nothing changed");
    assert!(signed_in(s, &t).await);
    let _ = account(s, "sun").await;
}

use crate::common::both_backends;

both_backends!(
    users_are_created_changed_and_listed,
    bad_admin_input_changes_nothing
);
