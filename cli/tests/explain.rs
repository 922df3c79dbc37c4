//! The terminal that explains itself: names beside codes in English and Chinese,
//! finding codes, confirmations (and only ids with --quiet), the city's clock, patrol
//! flags in words, and mistakes that say what is valid and change nothing.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;
use common::dump;

use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

const CELL: &str = "32050800100101";

struct Shell {
    dir: tempfile::TempDir,
}

impl Shell {
    /// A worker's store with the sample catalogue and the sample grid, whose first
    /// community also has Chinese names (`name_zh`, `street_name_zh`, …).
    fn new() -> Shell {
        let sh = Shell {
            dir: tempfile::tempdir().unwrap(),
        };
        let mut grid: Value =
            serde_json::from_str(&std::fs::read_to_string(data("kcity-grid.geojson")).unwrap())
                .unwrap();
        for f in grid["features"].as_array_mut().unwrap() {
            let p = f["properties"].as_object_mut().unwrap();
            if p["code"].as_str().unwrap().starts_with("320508001001") {
                let seq = p["code"].as_str().unwrap()[12..].to_string();
                p.insert("name_zh".into(), format!("兰苑社区第{seq}网格").into());
                p.insert("street_name_zh".into(), "兰溪街道".into());
                p.insert("community_name_zh".into(), "兰苑社区".into());
            }
        }
        let file = sh.dir.path().join("grid.geojson");
        std::fs::write(&file, grid.to_string()).unwrap();
        sh.ok(&["init", "--user", "li", "--role", "worker"]);
        sh.ok(&["import-grid", file.to_str().unwrap()]);
        sh.ok(&[
            "import-catalog",
            data("kcity-catalog.json").to_str().unwrap(),
        ]);
        sh
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn run_in(&self, lang: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_gridwork"))
            .arg("field")
            .arg("--store")
            .arg(self.store())
            .args(args)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("GRIDWORK_LANG")
            .env("LANG", lang)
            .output()
            .unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_in("en_GB.UTF-8", args)
    }

    fn ok_in(&self, lang: &str, args: &[&str]) -> String {
        let out = self.run_in(lang, args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        self.ok_in("en_GB.UTF-8", args)
    }

    /// A refused command: exit 1, its stderr, and the store unchanged.
    fn refused(&self, lang: &str, args: &[&str]) -> String {
        let before = dump(&self.store().join("gridwork.db"));
        let out = self.run_in(lang, args);
        assert_eq!(out.status.code(), Some(1), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        assert_eq!(
            dump(&self.store().join("gridwork.db")),
            before,
            "{args:?} changed the store"
        );
        String::from_utf8(out.stderr).unwrap()
    }

    fn report(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "report",
            "--category",
            "06010",
            "--lat",
            "31.3060",
            "--lon",
            "120.5808",
            "--text",
            "rubbish by the bridge",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

#[test]
fn a_report_is_confirmed_with_names_in_english_and_chinese_and_quiet_prints_the_id() {
    let sh = Shell::new();
    let out = sh.report(&[]);
    assert!(out.status.success());
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.starts_with("Reported "), "{said}");
    assert!(said.contains("Exposed rubbish (06010)"), "{said}");
    assert!(said.contains(&format!("in {CELL} (Lanxi St")), "{said}");
    assert!(said.trim_end().ends_with("waiting to sync"), "{said}");

    let zh = sh.ok_in(
        "zh_CN.UTF-8",
        &[
            "report",
            "--category",
            "06010",
            "--lat",
            "31.3060",
            "--lon",
            "120.5808",
            "--text",
            "x",
        ],
    );
    assert!(zh.starts_with("已上报 "), "{zh}");
    assert!(zh.contains("暴露垃圾 (06010)"), "{zh}");
    assert!(zh.contains(&format!("{CELL} (兰苑社区第01网格)")), "{zh}");
    // --lang beats the locale.
    let en = sh.ok_in("zh_CN.UTF-8", &["--lang", "en", "list"]);
    assert!(en.contains("reported"), "{en}");

    let quiet = sh.report(&["--quiet"]);
    let id = String::from_utf8(quiet.stdout).unwrap();
    assert_eq!(id.trim().len(), 36, "{id:?}");
    assert_eq!(id.lines().count(), 1);
    uuid::Uuid::parse_str(id.trim()).unwrap();

    // show: names beside codes, the street and community, the city's clock.
    let show = sh.ok(&["show", id.trim()]);
    assert!(show.contains("category  Exposed rubbish (06010)"), "{show}");
    assert!(show.contains("street    320508001 Lanxi St"), "{show}");
    assert!(
        show.contains("community 320508001001 Lanyuan Community"),
        "{show}"
    );
    assert!(show.contains("+08:00"), "{show}");
    let show = sh.ok_in("zh_CN.UTF-8", &["show", id.trim()]);
    assert!(show.contains("类别      暴露垃圾 (06010)"), "{show}");
    assert!(show.contains("街道      320508001 兰溪街道"), "{show}");
    assert!(show.contains("状态      已上报"), "{show}");
    let json: Value = serde_json::from_str(&sh.ok(&["show", id.trim(), "--json"])).unwrap();
    assert_eq!(json["category_name"], "Exposed rubbish");
    assert_eq!(json["category"], "06010");
}

#[test]
fn act_confirms_the_new_status_with_the_department_by_name() {
    let sh = Shell::new();
    let id = String::from_utf8(sh.report(&["-q"]).stdout).unwrap();
    let id = id.trim();
    let said = sh.ok(&["act", id, "register", "--as-role", "supervisor"]);
    assert_eq!(
        said.trim(),
        format!("{id} register: now registered — waiting to sync")
    );
    let said = sh.ok_in(
        "zh_CN.UTF-8",
        &["act", id, "dispatch", "--as-role", "supervisor"],
    );
    assert!(said.contains("已派遣"), "{said}");
    assert!(said.contains("K市环境卫生管理处 (sanitation)"), "{said}");
    let photo = sh.dir.path().join("after.jpg");
    std::fs::write(&photo, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).unwrap();
    let quiet = sh.ok(&[
        "act",
        id,
        "handle",
        "--as-role",
        "handler",
        "--photo",
        photo.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(quiet.trim(), id);
}

#[test]
fn categories_and_cells_find_codes_by_prefix_or_name_in_either_language() {
    let sh = Shell::new();
    let by_code = sh.ok(&["categories", "0601"]);
    assert!(by_code.lines().all(|l| l.starts_with("0601")), "{by_code}");
    assert!(
        by_code.contains("06010  Exposed rubbish  暴露垃圾"),
        "{by_code}"
    );
    let by_name = sh.ok(&["categories", "RUBBISH"]);
    assert!(by_name.contains("06010"), "{by_name}");
    let by_cjk = sh.ok_in("zh_CN.UTF-8", &["categories", "垃圾"]);
    assert!(
        by_cjk.contains("06010  暴露垃圾  Exposed rubbish"),
        "{by_cjk}"
    );
    assert!(by_cjk.contains("K市环境卫生管理处"), "{by_cjk}");
    let json: Value = serde_json::from_str(&sh.ok(&["categories", "垃圾", "--json"])).unwrap();
    assert!(json["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["code"] == "06010"));

    let cells = sh.ok(&["cells", "3205080010010"]);
    assert_eq!(cells.lines().count(), 5, "{cells}");
    assert!(cells.starts_with(CELL), "{cells}");
    let cells = sh.ok_in("zh_CN.UTF-8", &["cells", "兰苑"]);
    assert!(
        cells.contains(&format!("{CELL}  兰苑社区第01网格")),
        "{cells}"
    );
    let cells = sh.ok(&["cells", "lanyuan"]);
    assert!(
        cells.contains("Lanxi St · Lanyuan Community · cell 01"),
        "{cells}"
    );

    let err = sh.refused("en_GB.UTF-8", &["cells", "no-such-place"]);
    assert!(err.contains("nothing matches \"no-such-place\""), "{err}");
}

#[test]
fn an_empty_list_says_so_in_the_users_language() {
    let sh = Shell::new();
    assert_eq!(sh.ok(&["list"]).trim(), "no cases");
    assert_eq!(sh.ok_in("zh_CN.UTF-8", &["list"]).trim(), "没有案件");
    assert_eq!(sh.ok(&["--lang", "zh", "counts"]).trim(), "没有案件");
    // An unknown locale falls back to English.
    assert_eq!(sh.ok_in("de_DE.UTF-8", &["list"]).trim(), "no cases");
    assert_eq!(sh.ok(&["patrol", "list"]).trim(), "no patrols");
}

#[test]
fn unknown_statuses_and_actions_list_the_valid_ones_in_one_spelling_and_change_nothing() {
    let sh = Shell::new();
    let id = String::from_utf8(sh.report(&["-q"]).stdout).unwrap();
    let id = id.trim();

    let err = sh.refused("en_GB.UTF-8", &["list", "--status", "done"]);
    assert!(err.contains("unknown status \"done\""), "{err}");
    assert!(
        err.contains("reported, registered, dispatched, handled, verified, suspended, closed, cancelled, rejected"),
        "{err}"
    );

    let err = sh.refused("en_GB.UTF-8", &["act", id, "verify-passed"]);
    assert!(err.contains("unknown action \"verify-passed\""), "{err}");
    assert!(err.contains("verify-pass, verify-fail"), "{err}");
    assert!(err.contains("resolve-conflict"), "{err}");
    assert!(!err.contains('_'), "one spelling only: {err}");

    // The core's refusals name actions the same way.
    let err = sh.refused("en_GB.UTF-8", &["act", id, "verify_pass"]);
    assert!(err.contains("verify-pass"), "{err}");
    assert!(!err.contains("verify_pass"), "{err}");

    let err = sh.refused("zh_CN.UTF-8", &["list", "--status", "done"]);
    assert!(err.contains("未知状态"), "{err}");
    let err = sh.refused("en_GB.UTF-8", &["show", "nope"]);
    assert!(err.contains("\"nope\" is not a case id"), "{err}");
    let err = sh.refused("en_GB.UTF-8", &["--lang", "fr", "list"]);
    assert!(err.contains("use one of zh, en"), "{err}");
}

#[test]
fn a_mistyped_store_is_an_error_and_nothing_is_created() {
    let sh = Shell::new();
    let typo = sh.dir.path().join("stroe");
    for args in [
        vec!["list"],
        vec![
            "report",
            "--category",
            "06010",
            "--lat",
            "31.3",
            "--lon",
            "120.6",
            "--text",
            "x",
        ],
        vec!["import-grid", "/dev/null"],
        vec!["sync", "--status"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_gridwork"))
            .arg("field")
            .arg("--store")
            .arg(&typo)
            .args(&args)
            .env("LANG", "C")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no store at"), "{err}");
        assert!(err.contains("--create"), "{err}");
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
    // --create makes one; so does init.
    let out = Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .args(["field", "--create", "--store"])
        .arg(&typo)
        .args(["list"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(typo.join("gridwork.db").is_file());
}

#[test]
fn a_mistyped_admin_database_is_an_error_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let admin = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gridwork"))
            .arg("admin")
            .arg("--db")
            .arg(&db)
            .args(args)
            .output()
            .unwrap()
    };
    let out = admin(&["users"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no database at"), "{err}");
    assert!(err.contains("--create"), "{err}");
    assert!(!db.exists(), "a database was created");
    let out = admin(&["import-grid", data("kcity-grid.geojson").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!db.exists(), "a database was created");
    let out = admin(&[
        "--create",
        "import-grid",
        data("kcity-grid.geojson").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = admin(&["users"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn patrol_commands_confirm_and_give_flags_and_the_verdict_in_words_on_the_citys_clock() {
    let sh = Shell::new();
    let said = sh.ok(&["patrol", "start", "--cells", CELL]);
    assert!(said.starts_with("Started patrol "), "{said}");
    assert!(said.contains(&format!("{CELL} (Lanxi St")), "{said}");
    let id = String::from_utf8(sh.run(&["-q", "patrol", "list"]).stdout).unwrap();
    let id = id.split_whitespace().next().unwrap().to_string();
    // Fixes half a minute apart, ending about now (fixes far from the device clock are flagged).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let at = |i: i64| (now - 200_000 + i * 30_000).to_string();
    for (i, lon) in [120.5800, 120.5802, 120.5804].iter().enumerate() {
        let t = at(i as i64);
        let said = sh.ok(&[
            "patrol",
            "fix",
            "--lat",
            "31.3060",
            "--lon",
            &lon.to_string(),
            "--accuracy",
            "5",
            "--time",
            &t,
        ]);
        assert_eq!(said.trim(), "stored 1 fix, 0 duplicate, 0 flagged");
    }
    let said = sh.ok(&[
        "patrol",
        "fix",
        "--lat",
        "31.3060",
        "--lon",
        "120.5806",
        "--accuracy",
        "5",
        "--time",
        &at(3),
        "--mock",
    ]);
    assert!(
        said.contains("1 flagged: 1 from a mock-location app (mock)"),
        "{said}"
    );
    let said = sh.ok_in(
        "zh_CN.UTF-8",
        &[
            "patrol",
            "fix",
            "--lat",
            "31.3060",
            "--lon",
            "120.5808",
            "--accuracy",
            "500",
            "--time",
            &at(4),
        ],
    );
    assert!(said.contains("定位精度太差"), "{said}");
    let said = sh.ok(&["patrol", "checkin", "--lat", "31.3060", "--lon", "120.5808"]);
    assert!(said.starts_with("Checked in "), "{said}");
    assert!(said.contains(CELL), "{said}");
    assert_eq!(
        sh.ok(&["patrol", "pause"]).trim(),
        format!("Paused patrol {id}")
    );
    assert!(sh.ok(&["-q", "patrol", "resume"]).is_empty());
    let said = sh.ok(&["patrol", "finish"]);
    assert!(
        said.contains("untrusted: 1 fixes came from a mock-location app"),
        "{said}"
    );

    let show = sh.ok(&["patrol", "show", &id]);
    assert!(
        show.contains("flags     1 from a mock-location app (mock)"),
        "{show}"
    );
    assert!(
        show.contains("flags     1 accuracy too poor (worse than"),
        "{show}"
    );
    assert!(show.contains("verdict   untrusted"), "{show}");
    // Times in the city's zone (UTC+8 in the sample catalogue), not UTC.
    let list = sh.ok(&["patrol", "list"]);
    assert!(list.contains("+08:00"), "{list}");
    let show = sh.ok_in("zh_CN.UTF-8", &["patrol", "show", &id]);
    assert!(show.contains("不可信"), "{show}");
    assert!(show.contains("来自模拟定位软件"), "{show}");

    let err = sh.refused("en_GB.UTF-8", &["patrol", "pause"]);
    assert!(err.contains("no open patrol"), "{err}");
    let err = sh.refused("en_GB.UTF-8", &["patrol", "export", &id, "--format", "kml"]);
    assert!(err.contains("use one of gpx, geojson"), "{err}");
}
