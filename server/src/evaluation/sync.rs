//! The sync health of each worker row (issue 9, evaluation point 3): the figures of
//! `GET /v1/devices` (see [`crate::health`]) added up over the worker's devices.
//! docs/evaluation.md, *Sync health per worker*, says how.

use super::Row;
use crate::{blobs::BlobStore, health::DeviceHealth, storage::Storage, StorageError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A worker's devices' sync health, added up.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WorkerSync {
    /// Devices the server knows of the worker.
    pub devices: u64,
    /// The latest contact of any of them, unix ms; `null` if none was in contact since
    /// the server kept track.
    pub last_contact_ms: Option<i64>,
    /// Events waiting on the devices as far as the server can tell, summed over the
    /// devices that told (`null` when none did).
    pub events_waiting: Option<i64>,
    /// Photos waiting on them as reported, summed likewise.
    pub photos_waiting: Option<i64>,
    /// Their events the server rejected, summed.
    pub rejected_events: i64,
    /// Photos their accepted events reference that the server does not hold complete,
    /// summed.
    pub photos_missing: i64,
}

fn add(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

impl WorkerSync {
    /// Adds one device's health.
    pub fn add_device(&mut self, d: &DeviceHealth) {
        self.devices += 1;
        self.last_contact_ms = self.last_contact_ms.max(d.last_contact_ms);
        self.events_waiting = add(self.events_waiting, d.events_waiting);
        self.photos_waiting = add(self.photos_waiting, d.photos_waiting);
        self.rejected_events += d.rejected_events;
        self.photos_missing += d.photos_missing;
    }

    /// Adds another worker's figures (for the total row).
    pub fn add_worker(&mut self, w: &WorkerSync) {
        self.devices += w.devices;
        self.last_contact_ms = self.last_contact_ms.max(w.last_contact_ms);
        self.events_waiting = add(self.events_waiting, w.events_waiting);
        self.photos_waiting = add(self.photos_waiting, w.photos_waiting);
        self.rejected_events += w.rejected_events;
        self.photos_missing += w.photos_missing;
    }
}

/// Whether a row key of [`super::GroupBy::Worker`] is a user (not a source's row, nor
/// the total).
pub fn is_user_row(key: &str) -> bool {
    key != "total" && !key.starts_with('(')
}

/// The health of the devices of `users`, as `GET /v1/devices` reckons it (photos
/// checked against `blobs`, those found complete flagged), by user. Server-held devices
/// (`console:…`, `open311:…`) are no worker's phone and are left out.
pub async fn devices_of(
    storage: &dyn Storage,
    blobs: &BlobStore,
    users: &BTreeSet<String>,
) -> Result<BTreeMap<String, Vec<DeviceHealth>>, StorageError> {
    let mut out: BTreeMap<String, Vec<DeviceHealth>> = BTreeMap::new();
    for r in storage.device_records().await? {
        if !users.contains(&r.owner)
            || r.device_id.starts_with("console:")
            || r.device_id.starts_with("open311:")
        {
            continue;
        }
        let mut complete = Vec::new();
        let mut missing = 0;
        for sha in &r.unconfirmed_photos {
            let found = blobs
                .is_complete(sha)
                .await
                .map_err(|e| StorageError::Task(format!("blob store: {e}")))?;
            if found {
                complete.push(sha.clone());
            } else {
                missing += 1;
            }
        }
        if !complete.is_empty() {
            storage.photos_complete(&complete).await?;
        }
        out.entry(r.owner.clone())
            .or_default()
            .push(DeviceHealth::of(&r, missing, None));
    }
    Ok(out)
}

/// Adds each worker's sync health to the worker rows of `rows` (a worker without a
/// known device gets zeros) and the sum of them all to the `total` row.
pub fn with_sync(rows: &mut [Row], devices: &BTreeMap<String, Vec<DeviceHealth>>) {
    let mut total = WorkerSync::default();
    for row in rows.iter_mut().filter(|r| is_user_row(&r.key)) {
        let mut w = WorkerSync::default();
        for d in devices.get(&row.key).into_iter().flatten() {
            w.add_device(d);
        }
        total.add_worker(&w);
        row.sync = Some(w);
    }
    if let Some(row) = rows.iter_mut().find(|r| r.key == "total") {
        row.sync = Some(total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::Figures;

    fn device(
        user: &str,
        contact: Option<i64>,
        waiting: Option<i64>,
        rejected: i64,
        missing: i64,
    ) -> DeviceHealth {
        DeviceHealth {
            device_id: format!("{user}-{contact:?}"),
            user: user.into(),
            last_contact_ms: contact,
            last_via: None,
            client: None,
            reported_ms: None,
            events_waiting: waiting,
            photos_waiting: waiting.map(|_| 1),
            local_head: None,
            server_head: 0,
            rejected_events: rejected,
            photos_missing: missing,
            stale: false,
        }
    }

    fn row(key: &str) -> Row {
        Row {
            key: key.into(),
            figures: Figures::default(),
            patrols: None,
            sync: None,
        }
    }

    /// By hand: li has a phone last heard at 5,000 with 3 events waiting, 1 rejected
    /// and 2 photos missing, and a tablet last heard at 9,000 that never reported its
    /// outbox, with 1 photo missing; sun has no device; the resident's row is no
    /// worker's.
    #[test]
    fn a_workers_devices_add_up() {
        let devices = BTreeMap::from([(
            "li".to_string(),
            vec![
                device("li", Some(5_000), Some(3), 1, 2),
                device("li", Some(9_000), None, 0, 1),
            ],
        )]);
        let mut rows = vec![
            row("(source: resident)"),
            row("li"),
            row("sun"),
            row("total"),
        ];
        with_sync(&mut rows, &devices);
        assert_eq!(rows[0].sync, None);
        let li = WorkerSync {
            devices: 2,
            last_contact_ms: Some(9_000),
            events_waiting: Some(3),
            photos_waiting: Some(1),
            rejected_events: 1,
            photos_missing: 3,
        };
        assert_eq!(rows[1].sync.as_ref(), Some(&li));
        assert_eq!(
            rows[2].sync,
            Some(WorkerSync::default()),
            "no device: zeros"
        );
        assert_eq!(rows[3].sync.as_ref(), Some(&li), "the total of li and sun");
    }
}
