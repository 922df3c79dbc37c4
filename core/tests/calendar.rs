//! Deadlines and overdue on the working calendar, as a case handler would see them.
#![allow(clippy::unwrap_used)]

use chrono::{FixedOffset, NaiveDate, TimeZone};
use gridwork_core::calendar::{
    CalendarError, TimeLimit, WorkPeriod, WorkingCalendar, MAX_TIMESTAMP_MS, MAX_WORKING_MINUTES,
};
use proptest::prelude::*;

/// Unix ms of a local (UTC+8) wall-clock time.
fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap()
        .timestamp_millis()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The default calendar plus National Day 2026 (Thu 1 – Wed 7 Oct), a Monday holiday on
/// 9 Mar 2026 and Saturday 10 Oct 2026 worked instead (调休).
fn holiday_calendar() -> WorkingCalendar {
    let mut holidays: Vec<_> = (1..=7).map(|d| date(2026, 10, d)).collect();
    holidays.push(date(2026, 3, 9));
    WorkingCalendar::new(
        480,
        WorkingCalendar::china_default().work_periods().to_vec(),
        vec![6, 7],
        holidays,
        vec![date(2026, 10, 10)],
    )
    .unwrap()
}

fn add(cal: &WorkingCalendar, start: i64, minutes: i64) -> i64 {
    cal.add_working_minutes(start, minutes).unwrap()
}

// 2026-03-02 is a Monday.

#[test]
fn deadline_crosses_lunch() {
    let cal = WorkingCalendar::china_default();
    assert_eq!(
        add(&cal, at(2026, 3, 2, 11, 0), 120),
        at(2026, 3, 2, 14, 30)
    );
}

#[test]
fn deadline_reaching_lunch_exactly_is_noon_not_afternoon_start() {
    let cal = WorkingCalendar::china_default();
    assert_eq!(add(&cal, at(2026, 3, 2, 10, 0), 120), at(2026, 3, 2, 12, 0));
    assert_eq!(
        add(&cal, at(2026, 3, 2, 13, 30), 240),
        at(2026, 3, 2, 17, 30)
    );
}

#[test]
fn deadline_crosses_end_of_day() {
    let cal = WorkingCalendar::china_default();
    assert_eq!(
        add(&cal, at(2026, 3, 2, 16, 30), 120),
        at(2026, 3, 3, 9, 30)
    );
}

#[test]
fn deadline_skips_the_weekend() {
    let cal = WorkingCalendar::china_default();
    assert_eq!(
        add(&cal, at(2026, 3, 6, 16, 30), 120),
        at(2026, 3, 9, 9, 30)
    );
}

#[test]
fn deadline_skips_a_holiday() {
    // Friday 6 Mar → Monday 9 Mar is a holiday → Tuesday 10 Mar.
    let cal = holiday_calendar();
    assert_eq!(
        add(&cal, at(2026, 3, 6, 16, 30), 120),
        at(2026, 3, 10, 9, 30)
    );
    // The day before National Day: everything up to 7 Oct is off.
    assert_eq!(
        add(&cal, at(2026, 9, 30, 16, 30), 120),
        at(2026, 10, 8, 9, 30)
    );
}

#[test]
fn deadline_lands_on_an_extra_workday() {
    // Friday 9 Oct → Saturday 10 Oct is worked (调休).
    let cal = holiday_calendar();
    assert_eq!(
        add(&cal, at(2026, 10, 9, 16, 30), 120),
        at(2026, 10, 10, 9, 30)
    );
    // ... and Sunday is off again: 6 h on Saturday, the last 1.5 h on Monday.
    assert_eq!(
        add(&cal, at(2026, 10, 10, 8, 30), 540),
        at(2026, 10, 12, 10, 0)
    );
}

#[test]
fn twenty_working_days() {
    let cal = WorkingCalendar::china_default();
    let limit = TimeLimit::WorkingDays(20);
    assert_eq!(limit.working_minutes(&cal), 20 * 450);
    // Four full weeks from Monday morning end on the fourth Friday evening.
    assert_eq!(
        cal.deadline(at(2026, 3, 2, 8, 30), &limit).unwrap(),
        at(2026, 3, 27, 17, 30)
    );
    assert_eq!(
        cal.deadline(at(2026, 3, 2, 10, 0), &limit).unwrap(),
        at(2026, 3, 30, 10, 0)
    );
    // Across National Day: 23 Sep (Wed) + 20 days, with 5 weekdays off and one Saturday on:
    // Sep 24 25 28 29 30, Oct 8 9 10 12–16 19–23 26 27.
    let holidays = holiday_calendar();
    assert_eq!(
        holidays.deadline(at(2026, 9, 23, 10, 0), &limit).unwrap(),
        at(2026, 10, 27, 10, 0)
    );
}

#[test]
fn start_outside_working_time_counts_from_the_next_period() {
    let cal = WorkingCalendar::china_default();
    assert_eq!(add(&cal, at(2026, 3, 2, 22, 0), 60), at(2026, 3, 3, 9, 30));
    assert_eq!(add(&cal, at(2026, 3, 3, 3, 0), 60), at(2026, 3, 3, 9, 30));
    assert_eq!(add(&cal, at(2026, 3, 2, 12, 30), 30), at(2026, 3, 2, 14, 0));
    assert_eq!(add(&cal, at(2026, 3, 7, 3, 0), 30), at(2026, 3, 9, 9, 0));
}

#[test]
fn zero_minutes_is_the_start_itself() {
    let cal = WorkingCalendar::china_default();
    let night = at(2026, 3, 2, 22, 0);
    assert_eq!(add(&cal, night, 0), night);
}

#[test]
fn working_time_and_days() {
    let cal = holiday_calendar();
    assert!(cal.is_working_time(at(2026, 3, 2, 8, 30)));
    assert!(cal.is_working_time(at(2026, 3, 2, 11, 59)));
    assert!(!cal.is_working_time(at(2026, 3, 2, 12, 0)));
    assert!(!cal.is_working_time(at(2026, 3, 2, 17, 30)));
    assert!(!cal.is_working_time(at(2026, 3, 7, 10, 0)), "Saturday");
    assert!(!cal.is_working_time(at(2026, 10, 5, 10, 0)), "National Day");
    assert!(
        cal.is_working_time(at(2026, 10, 10, 10, 0)),
        "extra workday"
    );
    assert!(!cal.is_working_day(date(2026, 3, 9)));
    assert!(cal.is_working_day(date(2026, 10, 10)));
    assert!(!cal.is_working_day(date(2026, 10, 11)));
}

#[test]
fn working_minutes_between_counts_only_working_time() {
    let cal = holiday_calendar();
    let (fri, mon) = (at(2026, 3, 6, 16, 30), at(2026, 3, 10, 9, 30));
    assert_eq!(cal.working_minutes_between(fri, mon).unwrap(), 120);
    assert_eq!(
        cal.working_minutes_between(mon, fri).unwrap(),
        -120,
        "overdue is negative"
    );
    let (noon, afternoon) = (at(2026, 3, 2, 12, 0), at(2026, 3, 2, 13, 30));
    assert_eq!(cal.working_minutes_between(noon, afternoon).unwrap(), 0);
}

#[test]
fn huge_and_bad_inputs_fail_fast_with_typed_errors() {
    let cal = WorkingCalendar::china_default();
    let start = at(2026, 3, 2, 9, 0);
    assert!(matches!(
        cal.add_working_minutes(start, -1),
        Err(CalendarError::DurationOutOfRange { minutes: -1 })
    ));
    assert!(matches!(
        cal.add_working_minutes(start, MAX_WORKING_MINUTES + 1),
        Err(CalendarError::DurationOutOfRange { .. })
    ));
    // The largest accepted duration runs past year 9999 at 7.5 h a day.
    assert!(matches!(
        cal.add_working_minutes(start, MAX_WORKING_MINUTES),
        Err(CalendarError::BeyondRange)
    ));
    assert!(matches!(
        cal.add_working_minutes(MAX_TIMESTAMP_MS + 1, 1),
        Err(CalendarError::TimestampOutOfRange { .. })
    ));
    assert!(matches!(
        cal.working_minutes_between(i64::MIN, start),
        Err(CalendarError::TimestampOutOfRange { .. })
    ));
    // A big but reasonable duration round-trips.
    let end = add(&cal, start, 10_000_000);
    assert_eq!(cal.working_minutes_between(start, end).unwrap(), 10_000_000);
}

#[test]
fn time_limit_json_shape() {
    let hours: TimeLimit =
        serde_json::from_str(r#"{"value": 2, "unit": "working_hours"}"#).unwrap();
    assert_eq!(hours, TimeLimit::WorkingHours(2));
    let days = serde_json::to_value(TimeLimit::WorkingDays(20)).unwrap();
    assert_eq!(
        days,
        serde_json::json!({"value": 20, "unit": "working_days"})
    );
    assert!(serde_json::from_str::<TimeLimit>(r#"{"value": 2, "unit": "hours"}"#).is_err());
}

#[test]
fn calendar_json_round_trips() {
    let cal = holiday_calendar();
    let json = cal.to_json().unwrap();
    assert!(json.contains(r#"["08:30","12:00"]"#), "{json}");
    assert_eq!(WorkingCalendar::from_json(&json).unwrap(), cal);
}

fn calendar_json(periods: &str, weekend: &str, holidays: &str, extra: &str, offset: i32) -> String {
    format!(
        r#"{{"utc_offset_minutes": {offset}, "work_periods": {periods}, "weekend": {weekend},
            "holidays": {holidays}, "extra_workdays": {extra}}}"#
    )
}

#[test]
fn invalid_calendars_are_rejected_with_the_reason() {
    let ok_periods = r#"[["08:30","12:00"],["13:30","17:30"]]"#;
    let load = |p: &str, w: &str, h: &str, e: &str, o: i32| {
        WorkingCalendar::from_json(&calendar_json(p, w, h, e, o)).unwrap_err()
    };
    assert!(matches!(
        load(ok_periods, "[6,7]", "[]", "[]", 481 + 400),
        CalendarError::OffsetOutOfRange { minutes: 881 }
    ));
    assert!(matches!(
        load("[]", "[6,7]", "[]", "[]", 480),
        CalendarError::NoWorkPeriods
    ));
    assert!(matches!(
        load(r#"[["12:00","08:30"]]"#, "[6,7]", "[]", "[]", 480),
        CalendarError::EmptyPeriod { .. }
    ));
    assert!(matches!(
        load(r#"[["08:30","08:30"]]"#, "[6,7]", "[]", "[]", 480),
        CalendarError::EmptyPeriod { .. }
    ));
    assert!(matches!(
        load(
            r#"[["13:30","17:30"],["08:30","12:00"]]"#,
            "[6,7]",
            "[]",
            "[]",
            480
        ),
        CalendarError::UnsortedPeriods { index: 1 }
    ));
    assert!(matches!(
        load(
            r#"[["08:30","14:00"],["13:30","17:30"]]"#,
            "[6,7]",
            "[]",
            "[]",
            480
        ),
        CalendarError::UnsortedPeriods { index: 1 }
    ));
    assert!(matches!(
        load(r#"[["8:30","12:00"]]"#, "[6,7]", "[]", "[]", 480),
        CalendarError::InvalidTime { .. }
    ));
    assert!(matches!(
        load(ok_periods, "[0]", "[]", "[]", 480),
        CalendarError::InvalidWeekday { day: 0 }
    ));
    assert!(matches!(
        load(ok_periods, "[1,2,3,4,5,6,7]", "[]", "[]", 480),
        CalendarError::NoWorkingDays
    ));
    assert!(matches!(
        load(ok_periods, "[6,7]", "[]", r#"["2026-10-09"]"#, 480),
        CalendarError::ExtraWorkdayNotWeekend { .. }
    ));
    assert!(matches!(
        load(
            ok_periods,
            "[6,7]",
            r#"["2026-10-10"]"#,
            r#"["2026-10-10"]"#,
            480
        ),
        CalendarError::HolidayAndWorkday { .. }
    ));
    assert!(matches!(
        WorkingCalendar::from_json("{"),
        Err(CalendarError::Json(_))
    ));
}

#[test]
fn a_round_the_clock_period_is_allowed() {
    let cal = WorkingCalendar::new(
        0,
        vec![WorkPeriod::parse("00:00", "24:00").unwrap()],
        vec![],
        vec![],
        vec![],
    )
    .unwrap();
    assert_eq!(cal.working_minutes_per_day(), 1440);
    let start = 1_000_000_007;
    assert_eq!(add(&cal, start, 5000), start + 5000 * 60_000);
}

/// Minute-by-minute reference: where `minutes` working minutes end, walking from a
/// minute-aligned start.
fn walk(cal: &WorkingCalendar, start: i64, minutes: i64) -> i64 {
    let (mut t, mut counted) = (start, 0);
    while counted < minutes {
        if cal.is_working_time(t) {
            counted += 1;
        }
        t += 60_000;
    }
    t
}

fn starts() -> impl Strategy<Value = i64> {
    // 1950 … 2050 local, so days before 1970 are covered too; not minute-aligned.
    -631_152_000_000i64..2_556_144_000_000
}

proptest! {
    #[test]
    fn add_is_monotonic_in_minutes(start in starts(), a in 0i64..200_000, b in 0i64..200_000) {
        let cal = holiday_calendar();
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(add(&cal, start, lo) <= add(&cal, start, hi));
    }

    #[test]
    fn between_inverts_add(start in starts(), m in 0i64..500_000) {
        let cal = holiday_calendar();
        let end = add(&cal, start, m);
        prop_assert!(end >= start);
        prop_assert_eq!(cal.working_minutes_between(start, end).unwrap(), m);
        if m > 0 {
            prop_assert!(cal.is_working_time(end - 1), "the last minute counted is working time");
        }
    }

    #[test]
    fn add_matches_a_minute_by_minute_walk(
        // Minutes since 1970 in March 2026 or late Sep – Oct 2026, around the holidays.
        minute in prop_oneof![29_538_720i64..29_566_080, 29_831_040i64..29_874_240],
        m in 0i64..3_000,
    ) {
        let cal = holiday_calendar();
        let start = minute * 60_000;
        prop_assert_eq!(add(&cal, start, m), walk(&cal, start, m));
    }
}
