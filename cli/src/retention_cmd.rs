//! `gridwork field retention`: how long this device keeps closed cases and finished
//! patrols the server holds whole, and the purge that applies it (docs/store.md,
//! "Retention"). `gridwork field sync` applies the setting after each finished run.

use crate::field::Ctx;
use crate::output::{self, anyhow_free::Result};
use clap::Args;
use gridwork_core::store::PurgeReport;
use std::process::ExitCode;

/// `gridwork field retention`.
#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// Keep closed cases and finished patrols this many days once the server holds them
    /// (1 to 3650).
    #[arg(long, conflicts_with = "off")]
    days: Option<u32>,
    /// Keep everything (the default).
    #[arg(long)]
    off: bool,
    /// Purge now what the setting no longer keeps.
    #[arg(long)]
    purge: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `gridwork field retention`.
pub fn run(ctx: &Ctx, args: RetentionArgs) -> Result<ExitCode> {
    let store = &ctx.store;
    if args.off {
        store.set_retention(None)?;
    } else if let Some(days) = args.days {
        store.set_retention(Some(days))?;
    }
    let days = store.retention()?;
    let purged = if args.purge {
        Some(store.purge_expired()?)
    } else {
        None
    };
    if args.json {
        output::json(&serde_json::json!({"days": days, "purged": purged}))?;
        return Ok(ExitCode::SUCCESS);
    }
    ctx.tell(match days {
        Some(d) => format!(
            "{} {d} {}",
            ctx.lang.pick(
                "closed cases and finished patrols the server holds are kept",
                "服务器已保存的已结案件和已结束巡查在本机保留"
            ),
            ctx.lang.pick("days", "天")
        ),
        None => ctx
            .lang
            .pick("everything is kept on this device", "本机保留全部数据")
            .to_string(),
    });
    if let Some(p) = purged {
        ctx.tell(summary(ctx, &p));
    }
    Ok(ExitCode::SUCCESS)
}

/// One line on what a purge did.
pub fn summary(ctx: &Ctx, p: &PurgeReport) -> String {
    format!(
        "{}: {} {}, {} {}, {} {}; {} {}",
        ctx.lang.pick("purged", "已清除"),
        p.cases,
        ctx.lang.pick("cases", "件案件"),
        p.patrols,
        ctx.lang.pick("patrols", "次巡查"),
        p.photos,
        ctx.lang.pick("photos", "张照片"),
        p.kept_unsynced,
        ctx.lang
            .pick("kept until the server holds them", "件待服务器保存后再清除"),
    )
}
