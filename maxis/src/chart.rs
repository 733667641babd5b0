//! The weekly report as a PNG chart: "sales per day" on top, "revenue by product" below.
//!
//! Drawn by `plotters` into an RGB buffer (no system library: the text uses DejaVu Sans, embedded
//! from `maxis/assets/`, see `DejaVuSans-LICENSE.txt` there) and encoded by `png`.
//!
//! The bars are solid rectangles of fixed colors, [`SALES_BAR_COLOR`] and [`REVENUE_BAR_COLOR`],
//! that nothing else in the picture uses (the text and grid are gray shades), so the figures can be
//! read back from the pixels: a bar's height in pixels is proportional to its value, a value of 0
//! draws no bar, and the bars stand in the order of the report. In the revenue panel both figures
//! show: the net bar (refunds deducted) stands at the bottom of its slot and the refunded part,
//! in [`REFUNDED_BAR_COLOR`], sits on top of it up to the gross revenue.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{bail, ensure, Context};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use subjects::results::ReportResult;

/// Color of the "sales per day" bars (top panel): `#1f77b4`.
pub const SALES_BAR_COLOR: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
/// Color of the "revenue by product" bars (bottom panel), net of refunds: `#ff7f0e`.
pub const REVENUE_BAR_COLOR: RGBColor = RGBColor(0xff, 0x7f, 0x0e);
/// Color of the refunded part stacked on a product's net bar, up to its gross revenue: `#ffd0a0`.
pub const REFUNDED_BAR_COLOR: RGBColor = RGBColor(0xff, 0xd0, 0xa0);
/// Background of the whole picture: white.
pub const BACKGROUND_COLOR: RGBColor = RGBColor(0xff, 0xff, 0xff);
/// Horizontal grid lines: light gray, `#dddddd`.
pub const GRID_COLOR: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
/// Axes, ticks and text: black (text edges are anti-aliased to grays).
pub const INK_COLOR: RGBColor = RGBColor(0, 0, 0);
/// The "no sales" note of an empty panel: gray, `#777777`.
pub const NOTE_COLOR: RGBColor = RGBColor(0x77, 0x77, 0x77);

/// Widest or tallest picture drawn, in pixels.
pub const MAX_SIDE: u32 = 8192;

/// Width of a slot (one bar and the space around it) in x-axis units.
const SLOT: i32 = 20;
/// Width of a bar in x-axis units (70% of its slot).
const BAR: i32 = 14;
/// Family name the embedded font is registered under.
const FONT_FAMILY: &str = "DejaVu Sans";
/// DejaVu Sans 2.37 (Bitstream Vera license, see `maxis/assets/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Draws `report` as a `width` × `height` PNG: one bar per day of `report.days` (height ∝ sales)
/// in the top half, one bar per product of `report.current.top_products` (height ∝ revenue in the
/// report's main currency, see below) in the bottom half.
///
/// The main currency is the first of `report.current.revenue`; when the period has none, the first
/// revenue entry of the first product that has one. A product without revenue in that currency, or
/// with a negative one (refunds), gets no bar. The revenue axis is in major units (minor / 100, as
/// [`crate::commerce::webhook::money`] writes amounts).
///
/// Each bar takes 70% of its slot (`width` / number of bars, less the axis); a bar of value 0 is
/// not drawn. Below 160 × 200 pixels the titles and labels are left out (bars and grid only).
pub fn weekly_png(report: &ReportResult, width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    ensure!(width > 0 && height > 0, "a chart needs at least one pixel, not {width}×{height}");
    ensure!(width <= MAX_SIDE && height <= MAX_SIDE, "a chart is at most {MAX_SIDE} pixels wide and tall");
    let len = usize::try_from(u64::from(width) * u64::from(height) * 3).context("chart too large")?;
    let mut rgb = vec![0u8; len];
    draw(report, &mut rgb, width, height)?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().context("writing the PNG header")?;
    writer.write_image_data(&rgb).context("encoding the PNG")?;
    writer.finish().context("finishing the PNG")?;
    Ok(out)
}

/// Draws `report` as an 800 × 600 PNG (see [`weekly_png`]) and writes it to `path`.
pub fn write_weekly_png(report: &ReportResult, path: &Path) -> anyhow::Result<()> {
    let png = weekly_png(report, 800, 600)?;
    std::fs::write(path, png).with_context(|| format!("writing the chart to {}", path.display()))
}

/// The currency the revenue panel is drawn in (see [`weekly_png`]).
fn main_currency(report: &ReportResult) -> Option<&str> {
    let current = &report.current;
    current
        .revenue
        .first()
        .or_else(|| current.top_products.iter().find_map(|p| p.revenue.first()))
        .map(|r| r.currency.as_str())
}

/// One panel's bars: a label and a value per slot.
struct Panel {
    title: String,
    labels: Vec<String>,
    values: Vec<f64>,
    /// Whether the values are counts (integer axis labels).
    counts: bool,
    color: RGBColor,
    /// Per slot, the part stacked on the bar in [`REFUNDED_BAR_COLOR`] (empty: none).
    stacked: Vec<f64>,
}

/// Registers the embedded font with plotters, once per process.
fn font() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    if *REGISTERED.get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok()) {
        Ok(())
    } else {
        bail!("the embedded font {FONT_FAMILY} could not be loaded")
    }
}

/// The top panel's title: sales per day and, for a shop with plans, its members, MRR and churn.
fn sales_title(report: &ReportResult) -> String {
    let Some(m) = report.current.memberships.as_ref().filter(|m| !m.active.is_empty() || m.new > 0) else {
        return "sales per day".to_owned();
    };
    let members: u64 = m.active.iter().map(|p| p.members).sum();
    let mrr: Vec<String> = m.mrr.iter().map(|r| crate::commerce::webhook::money(r.amount, &r.currency)).collect();
    let mrr = if mrr.is_empty() { "0".to_owned() } else { mrr.join(" + ") };
    format!(
        "sales per day · {members} members, MRR {mrr}, +{} new, churn {} canceled / {} unpaid",
        m.new, m.churned_voluntary, m.churned_failed
    )
}

/// Draws both panels into `rgb` (`width` × `height`, 3 bytes a pixel).
fn draw(report: &ReportResult, rgb: &mut [u8], width: u32, height: u32) -> anyhow::Result<()> {
    font()?;
    let sales = Panel {
        title: sales_title(report),
        labels: report
            .days
            .iter()
            .map(|d| d.day.get(5..).filter(|_| d.day.len() == 10).unwrap_or(&d.day).to_owned())
            .collect(),
        values: report.days.iter().map(|d| d.sales as f64).collect(),
        counts: true,
        color: SALES_BAR_COLOR,
        stacked: vec![],
    };
    let currency = main_currency(report);
    let in_currency = |list: &[subjects::results::Revenue]| {
        list.iter().find(|r| Some(r.currency.as_str()) == currency).map_or(0, |r| r.amount).max(0)
    };
    let products = &report.current.top_products;
    let revenue = Panel {
        title: match currency {
            Some(c) => format!("revenue by product ({}), net; light: refunded", c.to_ascii_uppercase()),
            None => "revenue by product".to_owned(),
        },
        labels: products.iter().map(|p| short(&p.product, 14)).collect(),
        values: products.iter().map(|p| in_currency(&p.revenue) as f64 / 100.0).collect(),
        counts: false,
        color: REVENUE_BAR_COLOR,
        // A product without a gross figure (older results) has nothing refunded to show.
        stacked: products
            .iter()
            .map(|p| (in_currency(&p.gross) - in_currency(&p.revenue)).max(0) as f64 / 100.0)
            .collect(),
    };
    let root = BitMapBackend::with_buffer(rgb, (width, height)).into_drawing_area();
    root.fill(&BACKGROUND_COLOR)?;
    let (top, bottom) = root.split_vertically(height / 2);
    draw_panel(&top, &sales)?;
    draw_panel(&bottom, &revenue)?;
    root.present()?;
    Ok(())
}

/// Draws one panel: its title, a y axis with horizontal grid lines, a labelled x axis, the bars.
fn draw_panel(area: &DrawingArea<BitMapBackend<'_>, Shift>, panel: &Panel) -> anyhow::Result<()> {
    let (w, h) = area.dim_in_pixel();
    // Below this the text would not fit: bars and axes only.
    let text = w >= 160 && h >= 100;
    let font_size = f64::from(h / 14).clamp(9.0, 18.0);
    let n = panel.values.len();
    let stacked = |i: usize| panel.stacked.get(i).copied().unwrap_or(0.0);
    let top = panel.values.iter().enumerate().map(|(i, v)| v + stacked(i)).fold(0.0, f64::max);
    // Counts get whole-number ticks; an empty panel still gets an axis from 0 to 1.
    let y_max = match (top > 0.0, panel.counts) {
        (false, _) => 1.0,
        (true, true) => top + (top / 10.0).ceil(),
        (true, false) => top * 1.1,
    };
    let mut builder = ChartBuilder::on(area);
    builder.margin(if text { 6 } else { 1 });
    if text {
        builder
            .caption(&panel.title, (FONT_FAMILY, font_size * 1.2).into_font().color(&INK_COLOR))
            .x_label_area_size((font_size * 1.8) as u32)
            .y_label_area_size((font_size * 4.0).min(f64::from(w) / 5.0) as u32);
    }
    // Slot i spans SLOT·i .. SLOT·(i + 1); its label sits in its middle, one label every `step` slots.
    let slots = i32::try_from(n.max(1)).context("too many bars")?;
    let slot_px = f64::from(w) / f64::from(slots);
    let step = ((font_size * 4.0) / slot_px).ceil().max(1.0) as usize;
    let ticks: Vec<i32> = (0..slots).take(n).step_by(step).map(|i| i * SLOT + SLOT / 2).collect();
    let mut chart = builder.build_cartesian_2d((0..slots * SLOT).with_key_points(ticks), 0.0..y_max)?;
    let x_label =
        |x: &i32| usize::try_from(x / SLOT).ok().and_then(|i| panel.labels.get(i)).cloned().unwrap_or_default();
    let y_label = |y: &f64| match (panel.counts, y_max >= 10.0) {
        (true, _) if y.fract() != 0.0 => String::new(),
        (true, _) | (false, true) => format!("{y:.0}"),
        (false, false) => format!("{y:.2}"),
    };
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .max_light_lines(0)
        .bold_line_style(GRID_COLOR)
        .axis_style(INK_COLOR)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .y_labels(if panel.counts { (y_max as usize).clamp(2, 6) } else { 6 });
    if text {
        mesh.label_style((FONT_FAMILY, font_size).into_font().color(&INK_COLOR));
    } else {
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw()?;
    let left = (SLOT - BAR) / 2;
    chart.draw_series((0..slots).zip(&panel.values).filter(|(_, v)| **v > 0.0).map(|(i, v)| {
        let x = i * SLOT + left;
        Rectangle::new([(x, 0.0), (x + BAR, *v)], panel.color.filled())
    }))?;
    chart.draw_series(panel.values.iter().enumerate().filter(|(i, _)| stacked(*i) > 0.0).map(|(i, v)| {
        let x = i as i32 * SLOT + left;
        Rectangle::new([(x, *v), (x + BAR, v + stacked(i))], REFUNDED_BAR_COLOR.filled())
    }))?;
    if text && top <= 0.0 {
        let style = (FONT_FAMILY, font_size).into_font().color(&NOTE_COLOR).pos(Pos::new(HPos::Center, VPos::Center));
        chart.plotting_area().draw(&Text::new("no sales", (slots * SLOT / 2, y_max / 2.0), style))?;
    }
    Ok(())
}

/// `text`, cut to at most `max` characters with an ellipsis.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use subjects::results::{AnalyticsDay, AnalyticsResult, Revenue, TopProduct};

    fn money(currency: &str, amount: i64) -> Revenue {
        Revenue { currency: currency.to_owned(), amount }
    }

    fn analytics(revenue: Vec<Revenue>, top_products: Vec<TopProduct>) -> AnalyticsResult {
        AnalyticsResult {
            from: Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap(),
            revenue,
            gross: vec![],
            refunded: vec![],
            sales: 0,
            refunds: 0,
            checkouts: 0,
            conversion: 0.0,
            top_products,
            memberships: None,
        }
    }

    fn report(sales: &[u64], revenue: Vec<Revenue>, top_products: Vec<TopProduct>) -> ReportResult {
        ReportResult {
            current: analytics(revenue, top_products),
            previous: analytics(vec![], vec![]),
            days: sales
                .iter()
                .enumerate()
                .map(|(i, s)| AnalyticsDay {
                    day: format!("2026-03-{:02}", i + 2),
                    sales: *s,
                    revenue: vec![money("eur", *s as i64 * 500)],
                })
                .collect(),
            promos: vec![],
            giveaways: vec![],
            chart_png: None,
        }
    }

    fn product(id: &str, revenue: Vec<Revenue>) -> TopProduct {
        TopProduct { product: id.to_owned(), sales: 1, revenue, gross: vec![] }
    }

    /// A decoded RGB picture.
    struct Picture {
        width: u32,
        height: u32,
        rgb: Vec<u8>,
    }

    impl Picture {
        fn decode(bytes: &[u8]) -> Picture {
            let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
            let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
            let info = reader.next_frame(&mut rgb).unwrap();
            assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight));
            rgb.truncate(info.buffer_size());
            Picture { width: info.width, height: info.height, rgb }
        }

        fn is(&self, x: u32, y: u32, color: RGBColor) -> bool {
            let i = ((y * self.width + x) * 3) as usize;
            self.rgb[i..i + 3] == [color.0, color.1, color.2]
        }

        /// The bars of `color` between rows `rows`, left to right: (center x, height in pixels).
        fn bars(&self, color: RGBColor, rows: std::ops::Range<u32>) -> Vec<(f64, u32)> {
            let mut bars = Vec::new();
            let mut run: Option<(u32, u32)> = None; // (first column, height)
            for x in 0..=self.width {
                let count =
                    if x < self.width { rows.clone().filter(|y| self.is(x, *y, color)).count() as u32 } else { 0 };
                match (run, count) {
                    (None, 0) => {}
                    (None, c) => run = Some((x, c)),
                    (Some((first, h)), 0) => {
                        bars.push((f64::from(first + x - 1) / 2.0, h));
                        run = None;
                    }
                    (Some((first, h)), c) => run = Some((first, h.max(c))),
                }
            }
            bars
        }

        fn count(&self, color: RGBColor) -> usize {
            self.rgb.chunks(3).filter(|p| *p == [color.0, color.1, color.2]).count()
        }
    }

    /// Asserts that the bar heights are proportional to `values` (zeros left out), within 2 pixels.
    fn assert_proportional(bars: &[(f64, u32)], values: &[f64]) {
        let nonzero: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0).collect();
        assert_eq!(bars.len(), nonzero.len(), "one bar per non-zero value: {bars:?}");
        let max = nonzero.iter().copied().fold(0.0, f64::max);
        let tallest = bars.iter().map(|b| b.1).max().unwrap();
        assert!(tallest > 50, "the tallest bar is only {tallest} px");
        for ((_, h), v) in bars.iter().zip(&nonzero) {
            let expected = f64::from(tallest) * v / max;
            assert!((f64::from(*h) - expected).abs() <= 2.0, "bar of {v}: {h} px, expected {expected:.1} ({bars:?})");
        }
    }

    #[test]
    fn a_shop_with_plans_titles_its_sales_with_members_mrr_and_churn() {
        let mut r = report(&[1], vec![], vec![]);
        assert_eq!(sales_title(&r), "sales per day");
        r.current.memberships = Some(subjects::results::MembershipFigures {
            active: vec![subjects::results::PlanMembers { product: "pro".into(), members: 2 }],
            mrr: vec![money("eur", 1998)],
            new: 4,
            churned_voluntary: 1,
            churned_failed: 1,
            ..Default::default()
        });
        assert_eq!(sales_title(&r), "sales per day · 2 members, MRR 19.98 EUR, +4 new, churn 1 canceled / 1 unpaid");
        assert!(weekly_png(&r, 800, 600).is_ok());
    }

    #[test]
    fn the_png_has_exactly_the_requested_size() {
        let week =
            report(&[3, 1, 4, 1, 5, 9, 2], vec![money("eur", 1000)], vec![product("pro", vec![money("eur", 1000)])]);
        for (w, h) in [(800, 600), (640, 480), (333, 217), (1200, 300), (40, 30), (1, 1)] {
            let picture = Picture::decode(&weekly_png(&week, w, h).unwrap());
            assert_eq!((picture.width, picture.height), (w, h));
        }
    }

    #[test]
    fn sales_bars_are_proportional_to_each_days_sales_in_order() {
        let sales = [3u64, 7, 1, 10, 4, 6, 2];
        let picture = Picture::decode(&weekly_png(&report(&sales, vec![], vec![]), 800, 600).unwrap());
        let bars = picture.bars(SALES_BAR_COLOR, 0..600);
        assert_proportional(&bars, &sales.map(|s| s as f64));
        assert!(bars.windows(2).all(|w| w[0].0 < w[1].0));
        // All of them in the top panel.
        assert_eq!(picture.bars(SALES_BAR_COLOR, 0..300), bars);
    }

    #[test]
    fn a_day_without_sales_has_no_bar() {
        let gap = Picture::decode(&weekly_png(&report(&[4, 0, 4], vec![], vec![]), 800, 600).unwrap());
        let full = Picture::decode(&weekly_png(&report(&[4, 4, 4], vec![], vec![]), 800, 600).unwrap());
        let (gap, full) = (gap.bars(SALES_BAR_COLOR, 0..600), full.bars(SALES_BAR_COLOR, 0..600));
        assert_eq!(gap.len(), 2);
        assert_eq!(full.len(), 3);
        // The two bars stand where the first and the third day's bars stand.
        assert!((gap[0].0 - full[0].0).abs() <= 1.0 && (gap[1].0 - full[2].0).abs() <= 1.0, "{gap:?} vs {full:?}");
        assert_eq!(gap[0].1, full[0].1);
    }

    #[test]
    fn an_empty_report_still_renders_a_valid_png() {
        for week in [report(&[], vec![], vec![]), report(&[0; 7], vec![], vec![])] {
            let picture = Picture::decode(&weekly_png(&week, 640, 480).unwrap());
            assert_eq!((picture.width, picture.height), (640, 480));
            assert_eq!(picture.count(SALES_BAR_COLOR), 0);
            assert_eq!(picture.count(REVENUE_BAR_COLOR), 0);
        }
    }

    #[test]
    fn revenue_bars_are_drawn_in_the_main_currency() {
        let products = vec![
            product("pro", vec![money("eur", 12_000)]),
            product("basic", vec![money("usd", 99_999), money("eur", 3_000)]),
            product("dollars-only", vec![money("usd", 70_000)]),
            product("refunded", vec![money("eur", -500)]),
            product("gift-card-with-a-long-name", vec![money("eur", 6_000)]),
        ];
        let week = report(&[1, 2], vec![money("eur", 21_000), money("usd", 170_000)], products);
        let picture = Picture::decode(&weekly_png(&week, 800, 600).unwrap());
        let bars = picture.bars(REVENUE_BAR_COLOR, 300..600);
        assert_proportional(&bars, &[120.0, 30.0, 0.0, 0.0, 60.0]);
        assert_eq!(picture.bars(REVENUE_BAR_COLOR, 0..600), bars, "revenue bars only in the bottom panel");
    }

    #[test]
    fn a_partly_refunded_product_shows_its_net_bar_and_the_refunded_part_on_top() {
        let mut refunded = product("pro", vec![money("eur", 499)]);
        refunded.gross = vec![money("eur", 2999)];
        let products = vec![refunded, product("vip", vec![money("eur", 2999)])];
        let picture =
            Picture::decode(&weekly_png(&report(&[1], vec![money("eur", 3498)], products), 800, 600).unwrap());
        let net = picture.bars(REVENUE_BAR_COLOR, 300..600);
        let refunds = picture.bars(REFUNDED_BAR_COLOR, 300..600);
        assert_proportional(&net, &[4.99, 29.99]);
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert!((refunds[0].0 - net[0].0).abs() <= 1.0, "stacked on the first bar: {refunds:?} {net:?}");
        let gross = f64::from(net[0].1 + refunds[0].1);
        assert!((gross - f64::from(net[1].1)).abs() <= 2.0, "net + refunded = gross: {gross} vs {:?}", net[1]);
    }

    #[test]
    fn without_period_revenue_the_first_products_currency_is_used() {
        let products = vec![product("pro", vec![money("usd", 5_000)]), product("basic", vec![money("usd", 2_500)])];
        let picture = Picture::decode(&weekly_png(&report(&[], vec![], products), 800, 600).unwrap());
        assert_proportional(&picture.bars(REVENUE_BAR_COLOR, 300..600), &[50.0, 25.0]);
    }

    #[test]
    fn titles_and_labels_are_drawn_as_text() {
        let picture = Picture::decode(&weekly_png(&report(&[1, 2, 3], vec![], vec![]), 800, 600).unwrap());
        let dark_in_title =
            (0..800).flat_map(|x| (0..25).map(move |y| (x, y))).filter(|(x, y)| picture.is(*x, *y, INK_COLOR)).count();
        assert!(dark_in_title > 20, "no title text: {dark_in_title} black pixels");
    }

    #[test]
    fn a_picture_without_pixels_is_refused() {
        let week = report(&[1], vec![], vec![]);
        assert!(weekly_png(&week, 0, 600).is_err());
        assert!(weekly_png(&week, 800, 0).is_err());
        assert!(weekly_png(&week, MAX_SIDE + 1, 10).is_err());
    }

    #[test]
    fn write_weekly_png_writes_the_chart_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("week.png");
        write_weekly_png(&report(&[2, 5, 0, 1, 3, 0, 4], vec![], vec![]), &path).unwrap();
        let picture = Picture::decode(&std::fs::read(&path).unwrap());
        assert_eq!((picture.width, picture.height), (800, 600));
        assert_eq!(picture.bars(SALES_BAR_COLOR, 0..600).len(), 5);
    }
}
