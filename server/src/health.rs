//! Per-device sync health (issue #9, evaluation point 3): when the server last heard
//! from each device, what the device says is still waiting there, the events the server
//! refused from it and the photos its accepted events need that the server does not
//! hold.
//!
//! Each authenticated push, pull and photo upload records a [`Contact`]: the time, the
//! route, the client named in the optional `Gridwork-Device-State` header (or else the
//! `User-Agent`), and the figures that header carries (docs/sync-protocol.md). A request
//! without the header still counts as contact; the last figures reported stay, with the
//! time they were reported. Rejected events are the device's quarantine; photos missing
//! are the photos its accepted events reference (`device_photos`, filled in the push
//! transaction) that are not complete in the blob store.

use gridwork_core::sync::wire::DeviceState;
use serde::Serialize;

/// Which route a contact came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `POST /v1/events`.
    Push,
    /// `GET /v1/events`.
    Pull,
    /// `HEAD`/`PUT`/`GET /v1/blobs/{sha256}`.
    Upload,
}

impl Via {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Push => "push",
            Via::Pull => "pull",
            Via::Upload => "upload",
        }
    }
}

/// One authenticated request of a device.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    /// The device the token speaks for.
    pub device_id: String,
    /// When, by the server's clock, unix ms.
    pub at_ms: i64,
    /// Through which route.
    pub via: Via,
    /// The client software, when the request named it.
    pub client: Option<String>,
    /// What the device reported, when it sent the header.
    pub state: Option<DeviceState>,
}

/// What storage holds about one device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceRecord {
    /// The device id.
    pub device_id: String,
    /// The account it belongs to (`""` when unknown).
    pub owner: String,
    /// The `device_seq` of the last event of its chain the server holds (accepted or
    /// quarantined).
    pub server_head: i64,
    /// Last contact, unix ms (`None`: none since the server kept track).
    pub last_contact_ms: Option<i64>,
    /// The route of that contact.
    pub last_via: Option<String>,
    /// The client it named last.
    pub client: Option<String>,
    /// When it last reported its state, unix ms.
    pub reported_ms: Option<i64>,
    /// Its events waiting to be pushed, as last reported.
    pub outbox: Option<i64>,
    /// Its photos waiting to be uploaded, as last reported.
    pub photos_waiting: Option<i64>,
    /// Its own chain head, as last reported.
    pub local_head: Option<i64>,
    /// Its events in quarantine (rejected).
    pub rejected: i64,
    /// Photos its accepted events reference that storage has not seen complete yet
    /// (the API checks them against the blob store).
    pub unconfirmed_photos: Vec<String>,
}

/// A device's sync health, as the API answers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceHealth {
    /// The device id.
    pub device_id: String,
    /// The account it belongs to.
    pub user: String,
    /// Last contact (push, pull or upload), unix ms; `null` if never since tracking began.
    pub last_contact_ms: Option<i64>,
    /// The route of that contact: `push`, `pull` or `upload`.
    pub last_via: Option<String>,
    /// The client software and version it named.
    pub client: Option<String>,
    /// When the figures the device reports were reported, unix ms.
    pub reported_ms: Option<i64>,
    /// Events waiting on the device, as far as the server can tell: what the device
    /// reported, or else how far its reported chain head is past the server's.
    pub events_waiting: Option<i64>,
    /// Photos waiting on the device, as reported.
    pub photos_waiting: Option<i64>,
    /// The device's chain head as reported, and the server's.
    pub local_head: Option<i64>,
    /// The last place of its chain the server holds.
    pub server_head: i64,
    /// Its events the server rejected (kept in quarantine).
    pub rejected_events: i64,
    /// Photos its accepted events reference that the server does not hold complete.
    pub photos_missing: i64,
    /// Whether the last contact is before the `stale_since` asked for (or absent).
    pub stale: bool,
}

impl DeviceHealth {
    /// The health of `r`, with `missing` of its photos not complete on the server and
    /// `stale_since` the staleness threshold (unix ms).
    pub fn of(r: &DeviceRecord, missing: i64, stale_since: Option<i64>) -> Self {
        let gap = r.local_head.map(|h| (h - r.server_head).max(0));
        DeviceHealth {
            device_id: r.device_id.clone(),
            user: r.owner.clone(),
            last_contact_ms: r.last_contact_ms,
            last_via: r.last_via.clone(),
            client: r.client.clone(),
            reported_ms: r.reported_ms,
            events_waiting: r.outbox.or(gap),
            photos_waiting: r.photos_waiting,
            local_head: r.local_head,
            server_head: r.server_head,
            rejected_events: r.rejected,
            photos_missing: missing,
            stale: stale_since.is_some_and(|t| r.last_contact_ms.is_none_or(|c| c < t)),
        }
    }
}

/// The CSV of a device list (RFC 4180; a header row, then one row per device).
pub fn to_csv(devices: &[DeviceHealth]) -> String {
    fn cell(s: &str) -> String {
        // A leading = + - @ would be a formula to a spreadsheet: quoted with a '.
        let s = match s.chars().next() {
            Some('=' | '+' | '-' | '@') => format!("'{s}"),
            _ => s.to_string(),
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    }
    fn num(v: Option<i64>) -> String {
        v.map(|n| n.to_string()).unwrap_or_default()
    }
    let mut out = String::from(
        "device_id,user,last_contact_ms,last_via,client,reported_ms,events_waiting,\
         photos_waiting,local_head,server_head,rejected_events,photos_missing,stale\r\n",
    );
    for d in devices {
        let row = [
            cell(&d.device_id),
            cell(&d.user),
            num(d.last_contact_ms),
            cell(d.last_via.as_deref().unwrap_or("")),
            cell(d.client.as_deref().unwrap_or("")),
            num(d.reported_ms),
            num(d.events_waiting),
            num(d.photos_waiting),
            num(d.local_head),
            d.server_head.to_string(),
            d.rejected_events.to_string(),
            d.photos_missing.to_string(),
            d.stale.to_string(),
        ];
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn record() -> DeviceRecord {
        DeviceRecord {
            device_id: "phone-li".into(),
            owner: "li".into(),
            server_head: 5,
            last_contact_ms: Some(1_000),
            last_via: Some("pull".into()),
            client: Some("gridwork-core/0.1.0".into()),
            reported_ms: Some(1_000),
            outbox: None,
            photos_waiting: Some(2),
            local_head: Some(8),
            rejected: 1,
            unconfirmed_photos: vec![],
        }
    }

    #[test]
    fn waiting_events_come_from_the_report_or_else_the_chain_gap() {
        let r = record();
        assert_eq!(DeviceHealth::of(&r, 0, None).events_waiting, Some(3));
        let reported = DeviceRecord {
            outbox: Some(4),
            ..record()
        };
        assert_eq!(DeviceHealth::of(&reported, 0, None).events_waiting, Some(4));
        let silent = DeviceRecord {
            local_head: None,
            ..record()
        };
        assert_eq!(DeviceHealth::of(&silent, 0, None).events_waiting, None);
    }

    #[test]
    fn stale_means_no_contact_since_the_threshold() {
        assert!(!DeviceHealth::of(&record(), 0, Some(1_000)).stale);
        assert!(DeviceHealth::of(&record(), 0, Some(1_001)).stale);
        let never = DeviceRecord {
            last_contact_ms: None,
            ..record()
        };
        assert!(DeviceHealth::of(&never, 0, Some(0)).stale);
    }

    #[test]
    fn csv_quotes_what_a_device_named() {
        let odd = DeviceRecord {
            client: Some("=cmd,\"x\"".into()),
            ..record()
        };
        let csv = to_csv(&[DeviceHealth::of(&odd, 2, None)]);
        let row = csv.lines().nth(1).unwrap();
        assert!(row.contains("\"'=cmd,\"\"x\"\"\""), "{row}");
        assert!(row.ends_with(",1,2,false"), "{row}");
    }
}
