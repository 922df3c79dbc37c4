//! The shell's two languages: English and Chinese, chosen by `--lang` or the locale,
//! and the small table of what the shell says in each.
//!
//! Messages are templates with `{}` holes, filled in order by [`Lang::say`]. Names from
//! the catalogue and the grid come in both languages from the data itself
//! (`crate::names`); this table only holds the shell's own words.

use crate::output::anyhow_free::{Error, Result};

/// The language the shell speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English (the default when the locale says nothing we know).
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// `--lang` if given (`zh` or `en`, also `zh_CN.UTF-8`-style), else the locale:
    /// `LC_ALL`, then `LC_MESSAGES`, then `LANG`, the first that is set and not empty.
    pub fn detect(flag: Option<&str>) -> Result<Lang> {
        if let Some(value) = flag {
            return Lang::from_tag(value)
                .ok_or_else(|| Error(format!("unknown language {value:?}: use one of zh, en")));
        }
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty());
        Ok(locale.and_then(|v| Lang::from_tag(&v)).unwrap_or(Lang::En))
    }

    fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.to_ascii_lowercase();
        if tag.starts_with("zh") {
            Some(Lang::Zh)
        } else if tag.starts_with("en") || tag == "c" || tag == "posix" || tag.starts_with("c.") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language's tag (`zh`, `en`): which of a catalogue's `name_zh`/`name_en` to use.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// One of two texts.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    /// A message of the table with its `{}` holes filled in order.
    pub fn say(self, msg: Msg, args: &[&dyn std::fmt::Display]) -> String {
        let (en, zh) = msg.texts();
        fill(self.pick(en, zh), args)
    }
}

/// Fills the `{}` holes of a template in order (`{:?}`: quoted, as Rust quotes a
/// string); holes left over stay empty.
fn fill(template: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut args = args.iter();
    let mut rest = template;
    while let Some(at) = rest.find('{') {
        let (hole, quoted) = if rest[at..].starts_with("{:?}") {
            (4, true)
        } else if rest[at..].starts_with("{}") {
            (2, false)
        } else {
            out.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
            continue;
        };
        out.push_str(&rest[..at]);
        if let Some(a) = args.next() {
            let text = a.to_string();
            if quoted {
                out.push_str(&format!("{text:?}"));
            } else {
                out.push_str(&text);
            }
        }
        rest = &rest[at + hole..];
    }
    out.push_str(rest);
    out
}

macro_rules! messages {
    ($($name:ident => $en:literal, $zh:literal;)*) => {
        /// Everything the shell says in its own words.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg { $(#[allow(missing_docs)] $name,)* }

        impl Msg {
            /// The English and the Chinese template.
            pub fn texts(self) -> (&'static str, &'static str) {
                match self { $(Msg::$name => ($en, $zh),)* }
            }
        }
    };
}

messages! {
    NoCases => "no cases", "没有案件";
    NoPatrols => "no patrols", "没有巡查记录";
    More => "… more; raise --limit (showing {})", "……还有更多，请调大 --limit（已显示 {} 条）";
    OutsideGrid => "outside every grid cell", "不在任何网格内";
    Reported => "Reported {} {} in {} — waiting to sync", "已上报 {}：{}，位于 {}——等待同步";
    Acted => "{} {}: now {} — waiting to sync", "{} 已{}：当前状态 {}——等待同步";
    PatrolStarted => "Started patrol {} of {} — waiting to sync", "已开始巡查 {}，网格：{}——等待同步";
    PatrolPaused => "Paused patrol {}", "已暂停巡查 {}";
    PatrolResumed => "Resumed patrol {}", "已继续巡查 {}";
    PatrolFinished => "Finished patrol {}: {} m in {} min, {} — waiting to sync",
        "已结束巡查 {}：{} 米，{} 分钟，{}——等待同步";
    FixStored => "stored {} fix, {} duplicate, {} flagged", "已记录 {} 个定位点，重复 {} 个，标记 {} 个";
    CheckedIn => "Checked in {} at {}, {} in {} — waiting to sync", "已签到 {}：{}，{}，位于 {}——等待同步";
    GpxImported => "Imported patrol {}: {} fixes ({} flagged)", "已导入巡查 {}：{} 个定位点（标记 {} 个）";
    GridImported => "imported {} grid cells", "已导入 {} 个网格";
    CatalogImported => "imported {} categories", "已导入 {} 个类别";
    NoCatalog => "no catalogue in this store yet: import one with `import-catalog FILE` or sync",
        "此存储还没有类别目录：请用 `import-catalog FILE` 导入或同步";
    NoGrid => "no grid in this store yet: import one with `import-grid FILE` or sync",
        "此存储还没有网格：请用 `import-grid FILE` 导入或同步";
    NoMatch => "nothing matches {:?}", "没有与 {:?} 匹配的项";
    NoStore => "no store at {}: check --store (a store is made by `init`, or by any command with --create)",
        "{} 处没有存储：请检查 --store（存储由 `init` 创建，或在任一命令后加 --create）";
    UnknownStatus => "unknown status {:?}: use one of {}", "未知状态 {:?}：可选 {}";
    UnknownAction => "unknown action {:?}: use one of {}", "未知操作 {:?}：可选 {}";
    NotCaseId => "{:?} is not a case id", "{:?} 不是案件编号";
    NotPatrolId => "{:?} is not a patrol id", "{:?} 不是巡查编号";
    NoOpenPatrol => "no open patrol: start one with `patrol start`", "没有进行中的巡查：请先 `patrol start`";
    RetryAt => "will retry {}", "将于{}重试";
    InMinutes => "in {} min, at {}", "{} 分钟后（{}）";
    InHours => "in {} h {} min, at {}", "{} 小时 {} 分钟后（{}）";
    AtTime => "at {}", "于 {}";
    Now => "now", "现在";
    Verdict => "verdict   {}", "可信度    {}";
    Trusted => "trusted: {} of {} fixes flagged, none from a mock location",
        "可信：{} 个定位点中 {} 个被标记，没有模拟定位";
    Questionable => "questionable: {} of {} fixes flagged (more than {}%) — look at the flags before relying on this log",
        "存疑：{}/{} 个定位点被标记（超过 {}%）——请先核对标记再采信";
    UntrustedMock => "untrusted: {} fixes came from a mock-location app", "不可信：{} 个定位点来自模拟定位软件";
    UntrustedShare => "untrusted: {} of {} fixes flagged (more than {}%)", "不可信：{}/{} 个定位点被标记（超过 {}%）";
    FlagSpeed => "faster than on foot or by bicycle", "速度超过步行或骑车";
    FlagTeleport => "a jump no one makes", "不可能的瞬间位移";
    FlagMock => "from a mock-location app", "来自模拟定位软件";
    FlagTimeBackwards => "earlier than the fix before it", "时间早于前一个定位点";
    FlagClockSkew => "the device clock was far off", "设备时钟偏差过大";
    FlagLowAccuracy => "accuracy too poor", "定位精度太差";
}

/// Labels of `show`'s lines, padded to one width.
pub fn label(lang: Lang, en: &'static str) -> String {
    let zh = match en {
        "case" => "案件",
        "status" => "状态",
        "category" => "类别",
        "cell" => "网格",
        "street" => "街道",
        "community" => "社区",
        "where" => "位置",
        "what" => "描述",
        "reported" => "上报",
        "dept" => "部门",
        "deadline" => "时限",
        "rework" => "返工",
        "timeline" => "时间线",
        "patrol" => "巡查",
        "worker" => "巡查员",
        "distance" => "距离",
        "fixes" => "定位点",
        "flags" => "标记",
        "coverage" => "覆盖",
        "check-in" => "签到",
        "started" => "开始",
        "finished" => "结束",
        other => other,
    };
    match lang {
        Lang::En => format!("{en:<9} "),
        // CJK characters are two columns wide: 4 characters fill 8 columns.
        Lang::Zh => {
            let width = zh
                .chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum::<usize>();
            format!("{zh}{} ", " ".repeat(9usize.saturating_sub(width)))
        }
    }
}

/// Pads to `width` terminal columns (a CJK character takes two).
pub fn pad(text: &str, width: usize) -> String {
    let used: usize = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

/// A status for people: the wire name in English, the usual Chinese term in Chinese.
pub fn status(lang: Lang, wire: &str) -> String {
    let zh = match wire {
        "reported" => "已上报",
        "registered" => "已立案",
        "dispatched" => "已派遣",
        "handled" => "已处理",
        "verified" => "已核查",
        "suspended" => "已缓办",
        "closed" => "已结案",
        "cancelled" => "已作废",
        "rejected" => "被拒绝",
        "active" => "进行中",
        "paused" => "已暂停",
        "finished" => "已结束",
        other => other,
    };
    lang.pick(wire, zh).to_string()
}

/// An action for people (`verify-pass`; 核查通过 in Chinese).
pub fn action(lang: Lang, wire: &str) -> String {
    let en = wire.replace('_', "-");
    let zh = match wire {
        "register" => "立案",
        "cancel" => "作废",
        "dispatch" => "派遣",
        "handle" => "处理",
        "verify_pass" => "核查通过",
        "verify_fail" => "核查不通过",
        "close" => "结案",
        "return" => "退回",
        "postpone" => "延期",
        "suspend" => "缓办",
        "resume" => "恢复",
        "self_resolve" => "自行处置",
        "reopen" => "重新打开",
        "check" => "核实",
        "sign" => "签收",
        "apply_return" => "申请退回",
        "apply_postpone" => "申请延期",
        "apply_suspend" => "申请缓办",
        "approve" => "批准",
        "refuse" => "驳回",
        "urge" => "催办",
        "supervise" => "督办",
        "assist" => "协办",
        "resolve_conflict" => "解决冲突",
        _ => return en,
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_fill_in_order_and_extra_holes_stay_empty() {
        assert_eq!(fill("a {} b {} c", &[&1, &"x"]), "a 1 b x c");
        assert_eq!(fill("{} and {}", &[&1]), "1 and ");
        assert_eq!(fill("{:?} is {", &[&"x"]), "\"x\" is {");
    }

    #[test]
    fn locale_tags() {
        assert_eq!(Lang::from_tag("zh_CN.UTF-8"), Some(Lang::Zh));
        assert_eq!(Lang::from_tag("en_GB.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_tag("C.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_tag("de_DE"), None);
    }
}
