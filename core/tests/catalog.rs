//! The category catalogue: the K city sample file loads, and each kind of bad data is
//! refused with an error that says what is wrong and where.
#![allow(clippy::unwrap_used)]

use chrono::{FixedOffset, NaiveDate, TimeZone};
use gridwork_core::calendar::{CalendarError, TimeLimit};
use gridwork_core::catalog::{
    major_class_name, Catalog, CatalogError, CategoryCode, CategoryKind, CodeScheme,
};
use serde_json::{json, Value};

fn kcity_json() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/kcity-catalog.json");
    std::fs::read_to_string(path).unwrap()
}

fn kcity() -> Catalog {
    Catalog::from_json(&kcity_json()).unwrap()
}

#[test]
fn the_kcity_catalogue_loads_with_both_code_schemes() {
    let cat = kcity();
    assert_eq!(cat.version(), "kcity-2026.2");
    assert_eq!(cat.categories().len(), 229);
    assert_eq!(cat.departments().len(), 19);
    let new = cat
        .categories()
        .iter()
        .filter(|c| c.code.scheme() == CodeScheme::New)
        .count();
    let old = cat
        .categories()
        .iter()
        .filter(|c| c.code.scheme() == CodeScheme::Old)
        .count();
    assert_eq!((new, old), (223, 6));
    let codes: Vec<&str> = cat.categories().iter().map(|c| c.code.as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    assert_eq!(codes, sorted, "categories are sorted by code");
    for c in cat.categories() {
        assert!(cat.department(&c.department).is_some(), "{}", c.code);
        if c.code.scheme() == CodeScheme::New {
            assert!(major_class_name(c.code.major()).is_some(), "{}", c.code);
        }
    }
    let majors: std::collections::BTreeSet<&str> = cat
        .categories()
        .iter()
        .filter(|c| c.code.scheme() == CodeScheme::New)
        .map(|c| c.code.major())
        .collect();
    assert_eq!(majors.len(), 10, "every major class 01–10 is used");
}

#[test]
fn the_kcity_catalogue_holds_the_national_examples() {
    let cat = kcity();
    let examples = [
        ("01001", "供水井盖"),
        ("01003", "雨水井盖"),
        ("01037", "路灯"),
        ("02014", "交通信号灯"),
        ("03001", "公共厕所"),
        ("03005", "垃圾箱"),
        ("04002", "行道树"),
        ("06001", "私搭乱建"),
        ("06010", "暴露垃圾"),
        ("06042", "垃圾站（箱）满溢"),
        ("07001", "非法小广告"),
        ("08004", "工地扬尘"),
        ("09006", "占道经营"),
        ("09009", "机动车乱停放"),
    ];
    for (code, name) in examples {
        let c = cat.get(code).unwrap_or_else(|| panic!("{code} missing"));
        assert_eq!(c.name_zh, name);
        let expected = if code < "06" {
            CategoryKind::Component
        } else {
            CategoryKind::Event
        };
        assert_eq!(c.kind, expected, "{code}");
    }
    let rubbish = cat.get("06010").unwrap();
    assert_eq!(rubbish.name_en, "Exposed rubbish");
    assert_eq!(rubbish.time_limit, TimeLimit::WorkingHours(2));
    assert_eq!(
        cat.department(&rubbish.department).unwrap().name_en,
        "K City Sanitation Office"
    );
    assert_eq!(
        cat.get("06001").unwrap().time_limit,
        TimeLimit::WorkingDays(20)
    );
    assert_eq!(
        cat.get("01001").unwrap().time_limit,
        TimeLimit::WorkingHours(2)
    );
    assert_eq!(
        cat.get("01037").unwrap().time_limit,
        TimeLimit::WorkingDays(3)
    );
    let legacy = cat.get("0101").unwrap();
    assert_eq!((legacy.code.major(), legacy.code.minor()), ("01", "01"));
    assert!(cat.get("99999").is_none());
    assert!(cat.department("nobody").is_none());
}

#[test]
fn the_kcity_calendar_knows_national_day_and_its_extra_workday() {
    let cat = kcity();
    let cal = cat.calendar();
    assert!(!cal.is_working_day(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()));
    assert!(cal.is_working_day(NaiveDate::from_ymd_opt(2026, 10, 10).unwrap()));
    // Exposed rubbish reported late on Friday 9 Oct 2026 is due on Saturday morning.
    let local = FixedOffset::east_opt(8 * 3600).unwrap();
    let reported = local.with_ymd_and_hms(2026, 10, 9, 16, 30, 0).unwrap();
    let due = local.with_ymd_and_hms(2026, 10, 10, 9, 30, 0).unwrap();
    let limit = cat.get("06010").unwrap().time_limit;
    assert_eq!(
        cal.deadline(reported.timestamp_millis(), &limit).unwrap(),
        due.timestamp_millis()
    );
}

#[test]
fn the_catalogue_round_trips_through_json() {
    let cat = kcity();
    let again = Catalog::from_json(&cat.to_json().unwrap()).unwrap();
    assert_eq!(again, cat);
    let through_serde: Catalog = serde_json::from_str(&cat.to_json().unwrap()).unwrap();
    assert_eq!(through_serde, cat);
}

#[test]
fn category_codes() {
    let new: CategoryCode = "06042".parse().unwrap();
    assert_eq!(
        (new.major(), new.minor(), new.scheme()),
        ("06", "042", CodeScheme::New)
    );
    let old = CategoryCode::new("0302").unwrap();
    assert_eq!(
        (old.major(), old.minor(), old.scheme()),
        ("03", "02", CodeScheme::Old)
    );
    for bad in ["", "123", "123456", "0a001", "０１００１", " 0100"] {
        assert_eq!(CategoryCode::new(bad).unwrap_err().code, bad);
    }
    assert_eq!(serde_json::to_string(&new).unwrap(), r#""06042""#);
    assert!(serde_json::from_str::<CategoryCode>(r#""6042x""#).is_err());
    assert_eq!(
        major_class_name("01"),
        Some(("市政公用设施", "municipal utilities"))
    );
    assert_eq!(major_class_name("10"), Some(("其他事项", "other matters")));
    assert_eq!(major_class_name("11"), None);
}

/// A small valid catalogue to break in one place at a time.
fn base() -> Value {
    json!({
        "version": "test-1",
        "calendar": {
            "utc_offset_minutes": 480,
            "work_periods": [["08:30", "12:00"], ["13:30", "17:30"]],
            "weekend": [6, 7]
        },
        "departments": [
            {"id": "water", "name_zh": "供水", "name_en": "Water"},
            {"id": "sanitation", "name_zh": "环卫", "name_en": "Sanitation"}
        ],
        "categories": [
            {"code": "01001", "name_zh": "供水井盖", "name_en": "Water-supply manhole cover",
             "kind": "component", "time_limit": {"value": 2, "unit": "working_hours"},
             "closing_condition": "Cover in place", "department": "water"},
            {"code": "06010", "name_zh": "暴露垃圾", "name_en": "Exposed rubbish",
             "kind": "event", "time_limit": {"value": 2, "unit": "working_hours"},
             "closing_condition": "Rubbish removed", "department": "sanitation"},
            {"code": "0101", "name_zh": "上水井盖", "name_en": "Legacy cover",
             "kind": "event", "time_limit": {"value": 1, "unit": "working_days"},
             "closing_condition": "", "department": "water"}
        ]
    })
}

fn load(v: &Value) -> Result<Catalog, CatalogError> {
    Catalog::from_json(&v.to_string())
}

fn broken(edit: impl FnOnce(&mut Value)) -> CatalogError {
    let mut v = base();
    edit(&mut v);
    load(&v).unwrap_err()
}

#[test]
fn the_base_catalogue_is_valid() {
    let cat = load(&base()).unwrap();
    assert_eq!(cat.categories().len(), 3);
    // Old-scheme codes are not tied to a kind, and unknown fields are ignored.
    let mut v = base();
    v["categories"][2]["kind"] = json!("component");
    v["published_by"] = json!("a newer server");
    assert!(load(&v).is_ok());
}

#[test]
fn malformed_json_is_a_json_error() {
    assert!(matches!(
        Catalog::from_json("{\"version\": "),
        Err(CatalogError::Json(_))
    ));
    assert!(matches!(
        Catalog::from_json("[]"),
        Err(CatalogError::Json(_))
    ));
    assert!(matches!(
        broken(|v| v["categories"][0]["code"] = json!(1001)),
        CatalogError::Json(_)
    ));
}

#[test]
fn duplicate_code() {
    // An old-scheme component and event may share a code (0101 is both) ...
    let mut v = base();
    v["categories"][0]["code"] = json!("0101");
    let shared = load(&v).unwrap();
    assert_eq!(
        shared.with_code(&CategoryCode::new("0101").unwrap()).len(),
        2
    );
    // ... two of the same kind may not.
    let err = broken(|v| v["categories"][1]["code"] = json!("0101"));
    assert!(
        matches!(err, CatalogError::DuplicateCode { index: 2, ref code, kind: CategoryKind::Event, first_index: 1 } if code == "0101"),
        "{err}"
    );
    let err = broken(|v| v["categories"][1] = v["categories"][0].clone());
    assert!(
        matches!(
            err,
            CatalogError::DuplicateCode {
                index: 1,
                first_index: 0,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn bad_code() {
    for bad in ["101", "010010", "01a01", ""] {
        let err = broken(|v| v["categories"][1]["code"] = json!(bad));
        assert!(
            matches!(err, CatalogError::InvalidCode { index: 1, ref code } if code == bad),
            "{err}"
        );
    }
}

#[test]
fn unknown_major_class_and_kind_mismatch() {
    let err = broken(|v| v["categories"][1]["code"] = json!("11001"));
    assert!(
        matches!(err, CatalogError::UnknownMajorClass { index: 1, ref major, .. } if major == "11")
    );
    let err = broken(|v| v["categories"][0]["code"] = json!("00001"));
    assert!(matches!(
        err,
        CatalogError::UnknownMajorClass { index: 0, .. }
    ));
    let err = broken(|v| v["categories"][0]["code"] = json!("06001"));
    assert!(matches!(
        err,
        CatalogError::KindMismatch {
            index: 0,
            kind: CategoryKind::Component,
            ..
        }
    ));
    let err = broken(|v| v["categories"][1]["kind"] = json!("component"));
    assert!(matches!(
        err,
        CatalogError::KindMismatch {
            index: 1,
            kind: CategoryKind::Component,
            ..
        }
    ));
}

#[test]
fn unknown_kind() {
    let err = broken(|v| v["categories"][1]["kind"] = json!("incident"));
    assert!(
        matches!(err, CatalogError::UnknownKind { index: 1, ref kind, .. } if kind == "incident")
    );
}

#[test]
fn unknown_department() {
    let err = broken(|v| v["categories"][1]["department"] = json!("parks"));
    assert!(
        matches!(err, CatalogError::UnknownDepartment { index: 1, ref code, ref department }
            if code == "06010" && department == "parks"),
        "{err}"
    );
}

#[test]
fn zero_time_limit() {
    let err = broken(|v| v["categories"][2]["time_limit"]["value"] = json!(0));
    assert!(
        matches!(err, CatalogError::ZeroTimeLimit { index: 2, ref code } if code == "0101"),
        "{err}"
    );
}

#[test]
fn negative_or_absurd_time_limit() {
    for value in [-2i64, 10_001, 5_000_000_000] {
        let err = broken(|v| v["categories"][0]["time_limit"]["value"] = json!(value));
        assert!(
            matches!(err, CatalogError::TimeLimitOutOfRange { index: 0, value: got, .. } if got == value),
            "{err}"
        );
    }
}

#[test]
fn unknown_unit() {
    let err = broken(|v| v["categories"][0]["time_limit"]["unit"] = json!("hours"));
    assert!(
        matches!(err, CatalogError::UnknownUnit { index: 0, ref unit, .. } if unit == "hours"),
        "{err}"
    );
}

#[test]
fn empty_names_and_version() {
    let err = broken(|v| v["categories"][1]["name_en"] = json!("  "));
    assert!(matches!(
        err,
        CatalogError::EmptyField {
            index: 1,
            field: "name_en",
            ..
        }
    ));
    let err = broken(|v| v["categories"][0]["name_zh"] = json!(""));
    assert!(matches!(
        err,
        CatalogError::EmptyField {
            index: 0,
            field: "name_zh",
            ..
        }
    ));
    assert!(matches!(
        broken(|v| v["version"] = json!("")),
        CatalogError::EmptyVersion
    ));
}

#[test]
fn bad_departments() {
    let err = broken(|v| v["departments"][1]["id"] = json!("water"));
    assert!(matches!(err, CatalogError::DuplicateDepartment { index: 1, ref id } if id == "water"));
    let err = broken(|v| v["departments"][0]["name_zh"] = json!(""));
    assert!(matches!(
        err,
        CatalogError::EmptyDepartmentField {
            index: 0,
            field: "name_zh",
            ..
        }
    ));
}

#[test]
fn bad_calendar() {
    let err =
        broken(|v| v["calendar"]["work_periods"] = json!([["13:30", "17:30"], ["08:30", "12:00"]]));
    assert!(
        matches!(
            err,
            CatalogError::Calendar(CalendarError::UnsortedPeriods { index: 1 })
        ),
        "{err}"
    );
    let err = broken(|v| v["calendar"]["weekend"] = json!([8]));
    assert!(matches!(
        err,
        CatalogError::Calendar(CalendarError::InvalidWeekday { day: 8 })
    ));
}

#[test]
fn errors_name_the_entry() {
    let err = broken(|v| v["categories"][1]["department"] = json!("parks"));
    assert_eq!(
        err.to_string(),
        r#"category #1 (06010): unknown department "parks""#
    );
}
