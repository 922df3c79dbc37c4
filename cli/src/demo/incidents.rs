//! What the workers find: a realistic mix of categories from the sample catalogue,
//! report texts in Chinese, English or both, some urgent, and photos made on the spot
//! (small real PNG images: a street scene with the problem drawn in).

use fastrand::Rng;

/// One kind of problem a worker may find.
pub struct Template {
    /// Category code in the sample catalogue.
    pub category: &'static str,
    /// How often it is found, relative to the others.
    pub weight: u32,
    /// Chinese texts; `{}` is where the place goes.
    pub zh: &'static [&'static str],
    /// English texts; `{}` is where the place goes.
    pub en: &'static [&'static str],
    /// Chance that a report of it is urgent.
    pub urgent: f64,
    /// Chance that the worker fixes it on the spot (small things only).
    pub self_fix: f64,
    /// Colour of the problem in the photo.
    pub colour: [u8; 3],
}

/// The problems of a day in K city's old streets.
pub const TEMPLATES: &[Template] = &[
    Template {
        category: "06010",
        weight: 14,
        zh: &["{}有几袋生活垃圾无人清运", "{}堆放暴露垃圾，有异味"],
        en: &[
            "bags of household rubbish left {}",
            "exposed rubbish piled up {}, it smells",
        ],
        urgent: 0.0,
        self_fix: 0.0,
        colour: [90, 120, 60],
    },
    Template {
        category: "06042",
        weight: 9,
        zh: &["{}垃圾桶满溢，周边散落垃圾"],
        en: &["bins overflowing {}, litter all around"],
        urgent: 0.0,
        self_fix: 0.0,
        colour: [40, 110, 70],
    },
    Template {
        category: "07001",
        weight: 8,
        zh: &["{}电线杆上贴满小广告", "{}墙面张贴非法小广告"],
        en: &[
            "flyers stuck all over the lamp post {}",
            "illegal flyers on the wall {}",
        ],
        urgent: 0.0,
        self_fix: 0.5,
        colour: [230, 230, 210],
    },
    Template {
        category: "09010",
        weight: 8,
        zh: &["{}共享单车乱停放，堵塞盲道"],
        en: &["shared bikes dumped {}, blocking the tactile paving"],
        urgent: 0.0,
        self_fix: 0.4,
        colour: [250, 200, 30],
    },
    Template {
        category: "09009",
        weight: 6,
        zh: &["{}机动车占用人行道停放"],
        en: &["car parked on the pavement {}"],
        urgent: 0.0,
        self_fix: 0.0,
        colour: [180, 30, 30],
    },
    Template {
        category: "09006",
        weight: 6,
        zh: &["{}流动摊贩占道经营", "{}有人摆摊卖水果，占用人行道"],
        en: &[
            "street vendors blocking the pavement {}",
            "fruit stall on the pavement {}",
        ],
        urgent: 0.0,
        self_fix: 0.0,
        colour: [240, 140, 40],
    },
    Template {
        category: "09004",
        weight: 5,
        zh: &["{}店铺出店经营，货物堆到门外"],
        en: &["shop displaying goods outside its front {}"],
        urgent: 0.0,
        self_fix: 0.0,
        colour: [200, 90, 150],
    },
    Template {
        category: "01001",
        weight: 3,
        zh: &["{}供水井盖缺失，行人有危险", "{}井盖松动，踩上去会翻"],
        en: &[
            "water manhole cover missing {}, danger to pedestrians",
            "loose manhole cover {}, it tips when stepped on",
        ],
        urgent: 0.7,
        self_fix: 0.0,
        colour: [60, 60, 70],
    },
    Template {
        category: "01008",
        weight: 4,
        zh: &["{}雨水箅子被落叶堵塞"],
        en: &["storm-drain grate {} blocked with leaves"],
        urgent: 0.1,
        self_fix: 0.3,
        colour: [110, 80, 40],
    },
    Template {
        category: "06005",
        weight: 3,
        zh: &["{}道路积水严重，车辆难以通行"],
        en: &["deep standing water on the road {}, cars can hardly pass"],
        urgent: 0.4,
        self_fix: 0.0,
        colour: [70, 110, 170],
    },
    Template {
        category: "01037",
        weight: 4,
        zh: &["{}路灯不亮", "{}路灯灯罩破损"],
        en: &["street lamp out {}", "broken lamp cover {}"],
        urgent: 0.0,
        self_fix: 0.0,
        colour: [250, 240, 150],
    },
    Template {
        category: "02020",
        weight: 4,
        zh: &["{}人行道板松动翘起"],
        en: &["loose, tilted pavement slabs {}"],
        urgent: 0.1,
        self_fix: 0.0,
        colour: [150, 150, 140],
    },
    Template {
        category: "04002",
        weight: 3,
        zh: &["{}行道树枝条断裂，悬在人行道上方"],
        en: &["broken branch of a street tree hanging over the pavement {}"],
        urgent: 0.4,
        self_fix: 0.0,
        colour: [40, 140, 40],
    },
    Template {
        category: "03005",
        weight: 3,
        zh: &["{}垃圾箱破损，盖子脱落"],
        en: &["litter bin broken {}, the lid has come off"],
        urgent: 0.0,
        self_fix: 0.0,
        colour: [30, 90, 160],
    },
    Template {
        category: "06012",
        weight: 3,
        zh: &["{}沿街晾晒衣物"],
        en: &["laundry hung along the street {}"],
        urgent: 0.0,
        self_fix: 0.0,
        colour: [210, 170, 220],
    },
    Template {
        category: "08003",
        weight: 2,
        zh: &["{}堆放装修建筑垃圾"],
        en: &["renovation waste dumped {}"],
        urgent: 0.0,
        self_fix: 0.0,
        colour: [170, 140, 110],
    },
    Template {
        category: "08004",
        weight: 2,
        zh: &["{}工地渣土未覆盖，扬尘严重"],
        en: &["building site {} with uncovered soil, heavy dust"],
        urgent: 0.0,
        self_fix: 0.0,
        colour: [190, 170, 130],
    },
    Template {
        category: "06003",
        weight: 3,
        zh: &["{}路面有大片油污"],
        en: &["large oil stain on the road {}"],
        urgent: 0.0,
        self_fix: 0.0,
        colour: [50, 40, 30],
    },
    Template {
        category: "10002",
        weight: 1,
        zh: &["{}路面塌陷，已设置临时警示"],
        en: &["the road surface has caved in {}; temporary warning put up"],
        urgent: 0.9,
        self_fix: 0.0,
        colour: [100, 70, 50],
    },
    Template {
        category: "10001",
        weight: 1,
        zh: &["{}架空线缆坠落，垂到地面"],
        en: &["overhead cable fallen {}, hanging down to the ground"],
        urgent: 0.8,
        self_fix: 0.0,
        colour: [20, 20, 20],
    },
    Template {
        category: "05001",
        weight: 2,
        zh: &["{}健身器材损坏"],
        en: &["fitness equipment broken {}"],
        urgent: 0.0,
        self_fix: 0.0,
        colour: [220, 60, 60],
    },
];

/// Places, in Chinese and English (the English reads after the problem).
const PLACES: &[(&str, &str)] = &[
    ("河边步道", "on the canal path"),
    ("12号门口", "outside No. 12"),
    ("公交站旁", "next to the bus stop"),
    ("小区东门", "at the estate's east gate"),
    ("菜场对面", "opposite the market"),
    ("桥下", "under the bridge"),
    ("学校门口", "outside the school"),
    ("停车场入口", "at the car park entrance"),
    ("便利店旁", "beside the corner shop"),
    ("社区服务中心前", "in front of the community centre"),
    ("老街巷口", "at the mouth of the old lane"),
    ("幼儿园围墙外", "along the kindergarten wall"),
];

/// What a worker writes down about a problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The template's index in [`TEMPLATES`].
    pub template: usize,
    /// Category code.
    pub category: &'static str,
    /// The report text.
    pub text: String,
    /// Urgent.
    pub urgent: bool,
    /// The worker fixes it on the spot.
    pub self_fix: bool,
}

/// Picks a problem and writes the report: Chinese (55 %), English (30 %) or both.
pub fn finding(rng: &mut Rng) -> Finding {
    let total: u32 = TEMPLATES.iter().map(|t| t.weight).sum();
    let mut roll = rng.u32(0..total);
    let mut index = 0;
    for (i, t) in TEMPLATES.iter().enumerate() {
        if roll < t.weight {
            index = i;
            break;
        }
        roll -= t.weight;
    }
    let t = &TEMPLATES[index];
    let (zh_place, en_place) = PLACES[rng.usize(0..PLACES.len())];
    let zh = t.zh[rng.usize(0..t.zh.len())].replace("{}", zh_place);
    let en = t.en[rng.usize(0..t.en.len())].replace("{}", en_place);
    let text = match rng.u32(0..100) {
        0..55 => format!("{zh}。"),
        55..85 => capitalise(&en) + ".",
        _ => format!("{zh}。{}.", capitalise(&en)),
    };
    Finding {
        template: index,
        category: t.category,
        text,
        urgent: rng.f64() < t.urgent,
        self_fix: rng.f64() < t.self_fix,
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// What a handler writes when the work is done.
pub fn handled_note(rng: &mut Rng) -> String {
    const NOTES: &[&str] = &[
        "已处理完毕，现场恢复",
        "已清理，详见处理后照片",
        "Fixed on site; see the after photo.",
        "已派人到场整改完成",
        "Cleared and area cleaned.",
    ];
    NOTES[rng.usize(0..NOTES.len())].to_string()
}

/// Why a worker's on-site check fails.
pub fn rework_reason(rng: &mut Rng) -> String {
    const REASONS: &[&str] = &[
        "现场复核未整改到位，仍有残留",
        "问题依旧存在",
        "Still there when checked on site.",
        "只处理了一半，请继续处置",
    ];
    REASONS[rng.usize(0..REASONS.len())].to_string()
}

/// A photo of `template`'s problem: a PNG of a street scene (sky, buildings, road) with
/// the problem as a coloured patch, `before` (the problem) or after (cleared). A few KB.
pub fn photo(template: usize, before: bool, rng: &mut Rng) -> Vec<u8> {
    const W: u32 = 96;
    const H: u32 = 72;
    let colour = TEMPLATES
        .get(template)
        .map_or([128, 128, 128], |t| t.colour);
    let horizon = H / 3 + rng.u32(0..H / 6);
    let (cx, cy) = (rng.u32(W / 4..3 * W / 4), rng.u32(horizon + 8..H - 8));
    let (rx, ry) = (rng.u32(8..20), rng.u32(5..12));
    let mut pixels = Vec::with_capacity((W * H * 3) as usize);
    for y in 0..H {
        for x in 0..W {
            let base: [u8; 3] = if y < horizon {
                // Sky, lighter towards the horizon, with rooftops.
                let roof = (x / 12) % 3 == 0 && y > horizon / 2;
                if roof {
                    [120, 110, 100]
                } else {
                    let t = (y * 80 / horizon.max(1)) as u8;
                    [130 + t, 170 + t / 2, 230]
                }
            } else {
                [105, 105, 110]
            };
            let dx = (x as f64 - cx as f64) / rx as f64;
            let dy = (y as f64 - cy as f64) / ry as f64;
            let inside = dx * dx + dy * dy <= 1.0;
            let c = if inside && before { colour } else { base };
            let n = rng.i32(-4..=4);
            for channel in c {
                pixels.push((i32::from(channel) + n).clamp(0, 255) as u8);
            }
        }
    }
    encode_png(W, H, &pixels)
}

fn encode_png(w: u32, h: u32, rgb: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Writing to a Vec of the right size cannot fail.
        if let Ok(mut writer) = encoder.write_header() {
            let _ = writer.write_image_data(rgb);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use gridwork_core::catalog::Catalog;

    #[test]
    fn every_template_is_a_category_of_the_sample_catalogue() {
        let catalog = Catalog::from_json(super::super::CATALOG).unwrap();
        for t in TEMPLATES {
            assert!(catalog.get(t.category).is_some(), "{}", t.category);
            assert!(t.zh.iter().chain(t.en).all(|s| s.contains("{}")));
        }
    }

    #[test]
    fn findings_mix_categories_languages_and_urgency() {
        let mut rng = Rng::with_seed(7);
        let all: Vec<Finding> = (0..400).map(|_| finding(&mut rng)).collect();
        let categories: std::collections::BTreeSet<_> = all.iter().map(|f| f.category).collect();
        assert!(categories.len() >= 15, "{categories:?}");
        let chinese = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        let latin = |s: &str| s.chars().any(|c| c.is_ascii_alphabetic());
        let zh = all
            .iter()
            .filter(|f| chinese(&f.text) && !latin(&f.text))
            .count();
        let en = all.iter().filter(|f| !chinese(&f.text)).count();
        let both = all.len() - zh - en;
        assert!(zh > 150 && en > 70 && both > 20, "{zh} {en} {both}");
        let urgent = all.iter().filter(|f| f.urgent).count();
        assert!((10..80).contains(&urgent), "{urgent} urgent of 400");
        assert!(all
            .iter()
            .all(|f| !f.text.contains("{}") && f.text.chars().count() < 200));
        // The same seed writes the same reports.
        let again: Vec<Finding> = {
            let mut rng = Rng::with_seed(7);
            (0..400).map(|_| finding(&mut rng)).collect()
        };
        assert_eq!(all, again);
    }

    #[test]
    fn a_photo_is_a_real_png_of_a_few_kilobytes_and_after_differs_from_before() {
        let mut rng = Rng::with_seed(1);
        let before = photo(0, true, &mut rng);
        let after = photo(0, false, &mut rng);
        for bytes in [&before, &after] {
            assert!(
                (1_000..40_000).contains(&bytes.len()),
                "{} bytes",
                bytes.len()
            );
            let decoder = png::Decoder::new(std::io::Cursor::new(bytes.as_slice()));
            let mut reader = decoder.read_info().unwrap();
            let mut buf = vec![0; reader.output_buffer_size().unwrap()];
            let info = reader.next_frame(&mut buf).unwrap();
            assert_eq!((info.width, info.height), (96, 72));
        }
        assert_ne!(before, after);
    }
}
