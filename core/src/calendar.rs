//! The working calendar: when the handling clock of a case runs.
//!
//! Case time limits are counted in *working* hours or days (DOMAIN §4): the clock only runs
//! inside the day's work periods (e.g. 08:30–12:00 and 13:30–17:30), on working days, in the
//! city's local time. Weekends, public holidays and China's swapped working days (调休) are
//! local data, so the whole calendar is loaded from JSON, usually as part of the catalogue.
//!
//! All instants are Unix milliseconds (UTC). Internally an instant maps to a *working-time
//! position*: the working milliseconds elapsed since 1970-01-01 local midnight. Counting
//! working days uses arithmetic on whole weeks plus binary searches over the sorted holiday
//! and extra-workday lists, so huge durations cost the same as small ones.
//!
//! JSON shape:
//! ```json
//! {
//!   "utc_offset_minutes": 480,
//!   "work_periods": [["08:30", "12:00"], ["13:30", "17:30"]],
//!   "weekend": [6, 7],
//!   "holidays": ["2026-10-01", "2026-10-02"],
//!   "extra_workdays": ["2026-10-10"]
//! }
//! ```
//! `weekend` holds ISO weekday numbers (1 = Monday … 7 = Sunday); `holidays` are days off;
//! `extra_workdays` are weekend days worked instead (调休). A period may end at `"24:00"`.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;
const MINUTES_PER_DAY: u16 = 1_440;
/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;
/// The largest UTC offset accepted, in minutes (UTC−14:00 … UTC+14:00).
pub const MAX_UTC_OFFSET_MINUTES: i32 = 14 * 60;
/// The earliest instant the calendar accepts: 0001-01-01T00:00:00Z, in Unix ms.
pub const MIN_TIMESTAMP_MS: i64 = -62_135_596_800_000;
/// The latest instant the calendar accepts: 9999-12-31T23:59:59.999Z, in Unix ms.
pub const MAX_TIMESTAMP_MS: i64 = 253_402_300_799_999;
/// The largest duration [`WorkingCalendar::add_working_minutes`] accepts (about 1,900 years
/// of round-the-clock work); anything larger is a data error, not a deadline.
pub const MAX_WORKING_MINUTES: i64 = 1_000_000_000;

/// Why a calendar could not be loaded or a computation could not be done.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The text is not JSON of the calendar's shape.
    #[error("calendar is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A time of day is not `HH:MM` between `00:00` and `24:00`.
    #[error("invalid time of day {value:?}: expected HH:MM between 00:00 and 24:00")]
    InvalidTime {
        /// The text as given.
        value: String,
    },
    /// The calendar has no work periods at all.
    #[error("calendar has no work periods")]
    NoWorkPeriods,
    /// A work period does not end after it starts.
    #[error("work period {start}–{end} does not end after it starts")]
    EmptyPeriod {
        /// The period's start, `HH:MM`.
        start: String,
        /// The period's end, `HH:MM`.
        end: String,
    },
    /// A work period starts before the previous one has ended.
    #[error("work period #{index} overlaps or precedes the previous one (periods must be sorted)")]
    UnsortedPeriods {
        /// Position of the offending period (0-based).
        index: usize,
    },
    /// The UTC offset is outside ±14 hours.
    #[error("UTC offset {minutes} min is outside ±{MAX_UTC_OFFSET_MINUTES} min")]
    OffsetOutOfRange {
        /// The offset as given.
        minutes: i32,
    },
    /// A weekend day is not an ISO weekday number.
    #[error("weekend day {day} is not an ISO weekday (1 = Monday … 7 = Sunday)")]
    InvalidWeekday {
        /// The number as given.
        day: u8,
    },
    /// Every day of the week is a weekend day, so there is no regular working day.
    #[error("every weekday is a weekend day: the calendar has no working days")]
    NoWorkingDays,
    /// An extra working day (调休) falls on a day that is already a working day.
    #[error("extra workday {date} is not a weekend day")]
    ExtraWorkdayNotWeekend {
        /// The date as given.
        date: NaiveDate,
    },
    /// A date is listed both as a holiday and as an extra working day.
    #[error("{date} is listed both as a holiday and as an extra workday")]
    HolidayAndWorkday {
        /// The date as given.
        date: NaiveDate,
    },
    /// A duration is negative or larger than [`MAX_WORKING_MINUTES`].
    #[error("working duration {minutes} min is outside 0..={MAX_WORKING_MINUTES}")]
    DurationOutOfRange {
        /// The duration as given.
        minutes: i64,
    },
    /// An instant is outside [`MIN_TIMESTAMP_MS`]..=[`MAX_TIMESTAMP_MS`].
    #[error("timestamp {ms} ms is outside the supported range (years 1–9999)")]
    TimestampOutOfRange {
        /// The instant as given.
        ms: i64,
    },
    /// The answer would fall after year 9999.
    #[error("the result falls outside the supported range (years 1–9999)")]
    BeyondRange,
}

/// One daily work period, as minutes after local midnight (`end` may be 1440, i.e. `24:00`).
///
/// Serialised as a pair of `"HH:MM"` strings: `["08:30", "12:00"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "(String, String)", into = "(String, String)")]
pub struct WorkPeriod {
    start: u16,
    end: u16,
}

impl WorkPeriod {
    /// A period from `start_minute` to `end_minute` after local midnight.
    pub fn new(start_minute: u16, end_minute: u16) -> Result<Self, CalendarError> {
        if end_minute > MINUTES_PER_DAY {
            return Err(CalendarError::InvalidTime {
                value: format_hhmm(end_minute),
            });
        }
        if start_minute >= end_minute {
            return Err(CalendarError::EmptyPeriod {
                start: format_hhmm(start_minute),
                end: format_hhmm(end_minute),
            });
        }
        Ok(Self {
            start: start_minute,
            end: end_minute,
        })
    }

    /// A period from two `"HH:MM"` strings, e.g. `parse("08:30", "12:00")`.
    pub fn parse(start: &str, end: &str) -> Result<Self, CalendarError> {
        Self::new(parse_hhmm(start)?, parse_hhmm(end)?)
    }

    /// Start, in minutes after local midnight.
    pub fn start_minute(&self) -> u16 {
        self.start
    }

    /// End (exclusive), in minutes after local midnight.
    pub fn end_minute(&self) -> u16 {
        self.end
    }

    /// Length of the period in minutes.
    pub fn minutes(&self) -> i64 {
        i64::from(self.end - self.start)
    }

    fn start_ms(&self) -> i64 {
        i64::from(self.start) * MS_PER_MINUTE
    }

    fn end_ms(&self) -> i64 {
        i64::from(self.end) * MS_PER_MINUTE
    }
}

impl TryFrom<(String, String)> for WorkPeriod {
    type Error = CalendarError;
    fn try_from((start, end): (String, String)) -> Result<Self, Self::Error> {
        Self::parse(&start, &end)
    }
}

impl From<WorkPeriod> for (String, String) {
    fn from(p: WorkPeriod) -> Self {
        (format_hhmm(p.start), format_hhmm(p.end))
    }
}

fn parse_hhmm(text: &str) -> Result<u16, CalendarError> {
    let bad = || CalendarError::InvalidTime {
        value: text.to_owned(),
    };
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(h) || !two_digits(m) {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let minute = h * 60 + m;
    if m >= 60 || minute > MINUTES_PER_DAY {
        return Err(bad());
    }
    Ok(minute)
}

fn format_hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A time limit for handling a case, counted on a [`WorkingCalendar`].
///
/// Serialised as `{"value": 2, "unit": "working_hours"}` or `{"value": 20, "unit": "working_days"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "RawTimeLimit", into = "RawTimeLimit")]
pub enum TimeLimit {
    /// This many working hours.
    WorkingHours(u32),
    /// This many working days, each worth the calendar's working minutes per day.
    WorkingDays(u32),
}

impl TimeLimit {
    /// The number of hours or days, whichever the unit is.
    pub fn value(&self) -> u32 {
        match *self {
            Self::WorkingHours(v) | Self::WorkingDays(v) => v,
        }
    }

    /// The limit in working minutes on `cal` (days × the calendar's working minutes per day).
    pub fn working_minutes(&self, cal: &WorkingCalendar) -> i64 {
        match *self {
            Self::WorkingHours(h) => i64::from(h) * 60,
            Self::WorkingDays(d) => i64::from(d) * cal.working_minutes_per_day(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TimeUnit {
    WorkingHours,
    WorkingDays,
}

#[derive(Serialize, Deserialize)]
struct RawTimeLimit {
    value: u32,
    unit: TimeUnit,
}

impl From<RawTimeLimit> for TimeLimit {
    fn from(raw: RawTimeLimit) -> Self {
        match raw.unit {
            TimeUnit::WorkingHours => Self::WorkingHours(raw.value),
            TimeUnit::WorkingDays => Self::WorkingDays(raw.value),
        }
    }
}

impl From<TimeLimit> for RawTimeLimit {
    fn from(limit: TimeLimit) -> Self {
        let unit = match limit {
            TimeLimit::WorkingHours(_) => TimeUnit::WorkingHours,
            TimeLimit::WorkingDays(_) => TimeUnit::WorkingDays,
        };
        Self {
            value: limit.value(),
            unit,
        }
    }
}

/// The calendar's data exactly as written in JSON, before validation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RawCalendar {
    utc_offset_minutes: i32,
    work_periods: Vec<(String, String)>,
    weekend: Vec<u8>,
    #[serde(default)]
    holidays: Vec<NaiveDate>,
    #[serde(default)]
    extra_workdays: Vec<NaiveDate>,
}

/// When the handling clock runs: work periods, weekend, holidays and extra workdays, in a
/// fixed local UTC offset. Always valid: built only by [`WorkingCalendar::new`], JSON or
/// [`WorkingCalendar::china_default`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawCalendar", into = "RawCalendar")]
pub struct WorkingCalendar {
    utc_offset_minutes: i32,
    work_periods: Vec<WorkPeriod>,
    /// Sorted, deduplicated ISO weekday numbers.
    weekend: Vec<u8>,
    /// Sorted, deduplicated, as given.
    holidays: Vec<NaiveDate>,
    /// Sorted, deduplicated, as given.
    extra_workdays: Vec<NaiveDate>,
    /// `is_base_workday[i]` for ISO weekday `i + 1`.
    is_base_workday: [bool; 7],
    base_workdays_per_week: i64,
    /// Day numbers (days since 1970-01-01) of holidays that fall on regular workdays.
    off_days: Vec<i64>,
    /// Day numbers of extra workdays (all fall on weekend days).
    on_days: Vec<i64>,
    working_ms_per_day: i64,
}

impl TryFrom<RawCalendar> for WorkingCalendar {
    type Error = CalendarError;
    fn try_from(raw: RawCalendar) -> Result<Self, Self::Error> {
        let periods = raw
            .work_periods
            .iter()
            .map(|(start, end)| WorkPeriod::parse(start, end))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(
            raw.utc_offset_minutes,
            periods,
            raw.weekend,
            raw.holidays,
            raw.extra_workdays,
        )
    }
}

impl From<WorkingCalendar> for RawCalendar {
    fn from(cal: WorkingCalendar) -> Self {
        Self {
            utc_offset_minutes: cal.utc_offset_minutes,
            work_periods: cal.work_periods.into_iter().map(Into::into).collect(),
            weekend: cal.weekend,
            holidays: cal.holidays,
            extra_workdays: cal.extra_workdays,
        }
    }
}

fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE
}

/// ISO weekday (1 = Monday … 7 = Sunday) of a day number; 1970-01-01 was a Thursday.
fn iso_weekday(day: i64) -> u8 {
    // rem_euclid(7) is in 0..7, so the cast cannot truncate.
    (day + 3).rem_euclid(7) as u8 + 1
}

/// Number of elements of sorted `days` in `[0, day)`, negative for `day < 0` (signed count).
fn signed_count(days: &[i64], day: i64) -> i64 {
    let below = |d: i64| days.partition_point(|&x| x < d) as i64;
    below(day) - below(0)
}

fn check_timestamp(ms: i64) -> Result<(), CalendarError> {
    if (MIN_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(&ms) {
        Ok(())
    } else {
        Err(CalendarError::TimestampOutOfRange { ms })
    }
}

impl WorkingCalendar {
    /// A validated calendar. Periods must be non-empty, sorted and non-overlapping (they may
    /// touch); weekend days are ISO weekday numbers and may not cover the whole week; every
    /// extra workday must fall on a weekend day and may not also be a holiday. Duplicate
    /// weekend days and dates are merged.
    pub fn new(
        utc_offset_minutes: i32,
        work_periods: Vec<WorkPeriod>,
        mut weekend: Vec<u8>,
        mut holidays: Vec<NaiveDate>,
        mut extra_workdays: Vec<NaiveDate>,
    ) -> Result<Self, CalendarError> {
        if utc_offset_minutes.abs() > MAX_UTC_OFFSET_MINUTES {
            return Err(CalendarError::OffsetOutOfRange {
                minutes: utc_offset_minutes,
            });
        }
        if work_periods.is_empty() {
            return Err(CalendarError::NoWorkPeriods);
        }
        for (index, pair) in work_periods.windows(2).enumerate() {
            if pair[1].start < pair[0].end {
                return Err(CalendarError::UnsortedPeriods { index: index + 1 });
            }
        }
        if let Some(&day) = weekend.iter().find(|d| !(1..=7).contains(*d)) {
            return Err(CalendarError::InvalidWeekday { day });
        }
        weekend.sort_unstable();
        weekend.dedup();
        if weekend.len() == 7 {
            return Err(CalendarError::NoWorkingDays);
        }
        let mut is_base_workday = [true; 7];
        for &d in &weekend {
            is_base_workday[usize::from(d - 1)] = false;
        }
        holidays.sort_unstable();
        holidays.dedup();
        extra_workdays.sort_unstable();
        extra_workdays.dedup();
        let is_base = |day: i64| is_base_workday[usize::from(iso_weekday(day) - 1)];
        let mut on_days = Vec::with_capacity(extra_workdays.len());
        for &date in &extra_workdays {
            if holidays.binary_search(&date).is_ok() {
                return Err(CalendarError::HolidayAndWorkday { date });
            }
            let day = day_number(date);
            if is_base(day) {
                return Err(CalendarError::ExtraWorkdayNotWeekend { date });
            }
            on_days.push(day);
        }
        let off_days = holidays
            .iter()
            .map(|&d| day_number(d))
            .filter(|&d| is_base(d))
            .collect();
        let working_ms_per_day =
            work_periods.iter().map(|p| p.minutes()).sum::<i64>() * MS_PER_MINUTE;
        Ok(Self {
            utc_offset_minutes,
            work_periods,
            base_workdays_per_week: 7 - weekend.len() as i64,
            weekend,
            holidays,
            extra_workdays,
            is_base_workday,
            off_days,
            on_days,
            working_ms_per_day,
        })
    }

    /// A sensible default for mainland China: UTC+8, 08:30–12:00 and 13:30–17:30,
    /// Saturday and Sunday off, no holidays. Real deployments load their own calendar.
    pub fn china_default() -> Self {
        Self {
            utc_offset_minutes: 480,
            work_periods: vec![
                WorkPeriod {
                    start: 510,
                    end: 720,
                },
                WorkPeriod {
                    start: 810,
                    end: 1050,
                },
            ],
            weekend: vec![6, 7],
            holidays: Vec::new(),
            extra_workdays: Vec::new(),
            is_base_workday: [true, true, true, true, true, false, false],
            base_workdays_per_week: 5,
            off_days: Vec::new(),
            on_days: Vec::new(),
            working_ms_per_day: 450 * MS_PER_MINUTE,
        }
    }

    /// Loads and validates a calendar from its JSON form (see the module docs).
    pub fn from_json(json: &str) -> Result<Self, CalendarError> {
        let raw: RawCalendar = serde_json::from_str(json)?;
        Self::try_from(raw)
    }

    /// The calendar in its JSON form.
    pub fn to_json(&self) -> Result<String, CalendarError> {
        Ok(serde_json::to_string(self)?)
    }

    /// Local time's offset from UTC, in minutes (480 for China).
    pub fn utc_offset_minutes(&self) -> i32 {
        self.utc_offset_minutes
    }

    /// The daily work periods, sorted.
    pub fn work_periods(&self) -> &[WorkPeriod] {
        &self.work_periods
    }

    /// ISO weekday numbers of the weekend, sorted.
    pub fn weekend(&self) -> &[u8] {
        &self.weekend
    }

    /// Public holidays (days off), sorted.
    pub fn holidays(&self) -> &[NaiveDate] {
        &self.holidays
    }

    /// Weekend days that are working days (调休), sorted.
    pub fn extra_workdays(&self) -> &[NaiveDate] {
        &self.extra_workdays
    }

    /// Working minutes in one working day (450 for the default calendar).
    pub fn working_minutes_per_day(&self) -> i64 {
        self.working_ms_per_day / MS_PER_MINUTE
    }

    /// Whether `date` is a working day: a regular weekday that is not a holiday, or an
    /// extra workday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.is_working_day_number(day_number(date))
    }

    /// Whether the instant (Unix ms) falls inside a work period of a working day.
    pub fn is_working_time(&self, ms: i64) -> bool {
        let (day, t) = self.local_day_and_ms(ms);
        self.is_working_day_number(day)
            && self
                .work_periods
                .iter()
                .any(|p| (p.start_ms()..p.end_ms()).contains(&t))
    }

    /// The instant (Unix ms) at which `minutes` working minutes have elapsed after
    /// `start_ms`. Time outside work periods and on days off does not count, so a start
    /// outside working time counts from the next period start; zero minutes gives
    /// `start_ms` back. A result landing exactly at a period's end is that end (e.g. 12:00,
    /// not 13:30).
    pub fn add_working_minutes(&self, start_ms: i64, minutes: i64) -> Result<i64, CalendarError> {
        check_timestamp(start_ms)?;
        if !(0..=MAX_WORKING_MINUTES).contains(&minutes) {
            return Err(CalendarError::DurationOutOfRange { minutes });
        }
        let target = self.position(start_ms) + minutes * MS_PER_MINUTE;
        let end = self.instant_at(target)?.max(start_ms);
        check_timestamp(end).map_err(|_| CalendarError::BeyondRange)?;
        Ok(end)
    }

    /// The deadline of a case whose clock starts at `start_ms` with the given time limit.
    pub fn deadline(&self, start_ms: i64, limit: &TimeLimit) -> Result<i64, CalendarError> {
        self.add_working_minutes(start_ms, limit.working_minutes(self))
    }

    /// Whole working minutes between two instants, truncated toward zero; negative when
    /// `to_ms` is before `from_ms` (e.g. the working time by which a case is overdue).
    pub fn working_minutes_between(&self, from_ms: i64, to_ms: i64) -> Result<i64, CalendarError> {
        check_timestamp(from_ms)?;
        check_timestamp(to_ms)?;
        Ok((self.position(to_ms) - self.position(from_ms)) / MS_PER_MINUTE)
    }

    fn is_working_day_number(&self, day: i64) -> bool {
        if self.on_days.binary_search(&day).is_ok() {
            return true;
        }
        self.is_base_workday[usize::from(iso_weekday(day) - 1)]
            && self.off_days.binary_search(&day).is_err()
    }

    /// Local day number and milliseconds into that day. Saturating: callers check ranges.
    fn local_day_and_ms(&self, ms: i64) -> (i64, i64) {
        let local = ms.saturating_add(i64::from(self.utc_offset_minutes) * MS_PER_MINUTE);
        (local.div_euclid(MS_PER_DAY), local.rem_euclid(MS_PER_DAY))
    }

    /// Signed number of working days in `[day 0, day)`.
    fn working_days_before(&self, day: i64) -> i64 {
        let (weeks, rest) = (day.div_euclid(7), day.rem_euclid(7));
        let partial = (0..rest)
            .filter(|&d| self.is_base_workday[usize::from(iso_weekday(d) - 1)])
            .count() as i64;
        weeks * self.base_workdays_per_week + partial - signed_count(&self.off_days, day)
            + signed_count(&self.on_days, day)
    }

    /// Working milliseconds elapsed in a day up to `t` ms after local midnight.
    fn working_ms_within_day(&self, t: i64) -> i64 {
        self.work_periods
            .iter()
            .map(|p| (t - p.start_ms()).clamp(0, p.end_ms() - p.start_ms()))
            .sum()
    }

    /// The working-time position of an instant: working ms since 1970-01-01 local midnight.
    fn position(&self, ms: i64) -> i64 {
        let (day, t) = self.local_day_and_ms(ms);
        let within = if self.is_working_day_number(day) {
            self.working_ms_within_day(t)
        } else {
            0
        };
        self.working_days_before(day) * self.working_ms_per_day + within
    }

    /// The earliest instant whose working-time position is `target`.
    fn instant_at(&self, target: i64) -> Result<i64, CalendarError> {
        let w = self.working_ms_per_day;
        // The target lies in the (k+1)-th working day counted from day 0, at `rest` ms of
        // working time into it, with `rest` in 1..=w so that a day's end stays on that day.
        let k = (target - 1).div_euclid(w);
        let mut rest = target - k * w;
        let max_day = (MAX_TIMESTAMP_MS + MS_PER_DAY).div_euclid(MS_PER_DAY);
        let (mut lo, mut hi) = (
            (MIN_TIMESTAMP_MS - MS_PER_DAY).div_euclid(MS_PER_DAY),
            max_day,
        );
        // Smallest day d with working_days_before(d + 1) > k; that day is a working day.
        if self.working_days_before(hi + 1) <= k {
            return Err(CalendarError::BeyondRange);
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.working_days_before(mid + 1) > k {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let mut t = self.work_periods.last().map_or(0, WorkPeriod::end_ms);
        for p in &self.work_periods {
            let len = p.end_ms() - p.start_ms();
            if rest <= len {
                t = p.start_ms() + rest;
                break;
            }
            rest -= len;
        }
        Ok(lo * MS_PER_DAY + t - i64::from(self.utc_offset_minutes) * MS_PER_MINUTE)
    }
}

impl Default for WorkingCalendar {
    fn default() -> Self {
        Self::china_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn china_default_equals_the_validated_equivalent() {
        let built = WorkingCalendar::new(
            480,
            vec![
                WorkPeriod::parse("08:30", "12:00").unwrap(),
                WorkPeriod::parse("13:30", "17:30").unwrap(),
            ],
            vec![7, 6],
            vec![],
            vec![],
        )
        .unwrap();
        assert_eq!(built, WorkingCalendar::china_default());
    }

    #[test]
    fn weekday_of_day_numbers() {
        assert_eq!(iso_weekday(0), 4); // 1970-01-01, Thursday
        assert_eq!(iso_weekday(-1), 3);
        let date = NaiveDate::from_ymd_opt(2026, 10, 10).unwrap();
        assert_eq!(
            u32::from(iso_weekday(day_number(date))),
            date.weekday().number_from_monday()
        );
    }

    #[test]
    fn hhmm_parsing() {
        assert_eq!(parse_hhmm("08:30").unwrap(), 510);
        assert_eq!(parse_hhmm("24:00").unwrap(), 1440);
        for bad in ["8:30", "24:01", "12:60", "ab:cd", "0830", "", "08:30:00"] {
            assert!(
                matches!(parse_hhmm(bad), Err(CalendarError::InvalidTime { .. })),
                "{bad}"
            );
        }
    }
}
