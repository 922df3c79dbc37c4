//! `gridwork field photos`: the store's photo settings (maximum edge at capture, cache
//! budget, removing the files photos were read from), eviction now, what the device
//! holds of a photo, and downloading one full size (docs/photos.md).

use crate::field::Ctx;
use crate::output::{self, anyhow_free::Result};
use clap::Args;
use gridwork_core::{store::PhotoSettings, sync};
use std::process::ExitCode;

/// `gridwork field photos`.
#[derive(Debug, Args)]
pub struct PhotosArgs {
    /// Scale photos taken from now on down to this many pixels on the longer edge
    /// (640 to 8192; 0 keeps them as taken).
    #[arg(long)]
    max_edge: Option<u32>,
    /// Keep at most this many MiB of photos and thumbnails the server holds too.
    #[arg(long)]
    budget_mib: Option<u64>,
    /// Delete each photo's source file once it is recorded (on or off).
    #[arg(long)]
    remove_sources: Option<bool>,
    /// Evict down to the budget now.
    #[arg(long)]
    evict: bool,
    /// Show what the device holds of this photo (its SHA-256).
    #[arg(long)]
    show: Option<String>,
    /// Download this photo (its SHA-256) full size from the signed-in server.
    #[arg(long)]
    fetch: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `gridwork field photos`.
pub fn run(ctx: &Ctx, args: PhotosArgs) -> Result<ExitCode> {
    let store = &ctx.store;
    let mut settings = store.photo_settings()?;
    if args.max_edge.is_some() || args.budget_mib.is_some() || args.remove_sources.is_some() {
        settings = PhotoSettings {
            max_edge: args.max_edge.unwrap_or(settings.max_edge),
            cache_budget_bytes: args
                .budget_mib
                .map(|m| m.saturating_mul(1024 * 1024))
                .unwrap_or(settings.cache_budget_bytes),
            remove_sources: args.remove_sources.unwrap_or(settings.remove_sources),
        };
        store.set_photo_settings(&settings)?;
    }
    let evicted = if args.evict {
        Some(store.evict_photos()?)
    } else {
        None
    };
    let fetched = match &args.fetch {
        Some(sha) => Some(
            sync::fetch_photo(
                store,
                &crate::sync_cmd::transport()?,
                sha,
                &sync::CancelToken::new(),
            )?
            .display()
            .to_string(),
        ),
        None => None,
    };
    let shown = match &args.show {
        Some(sha) => Some(store.photo(sha)?),
        None => None,
    };
    if args.json {
        output::json(&serde_json::json!({
            "settings": settings, "evicted": evicted, "fetched": fetched, "photo": shown,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    ctx.tell(format!(
        "{}: {}; {}: {} MiB; {}: {}",
        ctx.lang.pick("longest edge", "最长边"),
        match settings.max_edge {
            0 => ctx.lang.pick("as taken", "原尺寸").to_string(),
            n => format!("{n} px"),
        },
        ctx.lang.pick("cache budget", "缓存上限"),
        settings.cache_budget_bytes / (1024 * 1024),
        ctx.lang.pick("remove source files", "删除源文件"),
        match settings.remove_sources {
            true => ctx.lang.pick("on", "是"),
            false => ctx.lang.pick("off", "否"),
        },
    ));
    if let Some(n) = evicted {
        ctx.tell(format!(
            "{}: {n}",
            ctx.lang.pick("evicted files", "已清理文件")
        ));
    }
    if let Some(path) = fetched {
        ctx.tell(path);
    }
    if let Some(view) = shown {
        ctx.tell(format!(
            "{:?} {}",
            view.state,
            view.path
                .or(view.thumbnail)
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
