//! A group's chart: one horizontal bar per case from 1.0 to ours / best peer, on a log scale
//! so that 0.5 and 2.0 are the same length either side, green where ours costs less and red
//! where it costs more. Drawn with plotters' SVG backend alone: text is `<text>` elements
//! left to the viewer's fonts, so nothing here needs a font file or a system library.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::table::{Versus, ratio_text};

const WIDTH: u32 = 900;
/// Pixels per case, and for the title and the axis below the bars.
const ROW: u32 = 34;
const FRAME: u32 = 110;
const LEAD: RGBColor = RGBColor(46, 139, 87);
const TRAIL: RGBColor = RGBColor(205, 92, 92);

/// The SVG of `group`'s chart; `None` when no case has both ours and a peer.
pub fn svg(group: &str, versus: &[Versus]) -> Result<Option<String>, String> {
    if versus.is_empty() {
        return Ok(None);
    }
    let n = versus.len() as i32;
    let height = FRAME + ROW * versus.len() as u32;
    // Both ends a little beyond the extreme ratios and never closer to 1 than 0.5 / 2.
    let low = versus.iter().map(|v| v.ratio).fold(0.5, f64::min) / 1.4;
    let high = versus.iter().map(|v| v.ratio).fold(2.0, f64::max) * 1.4;
    let labels: Vec<String> = versus
        .iter()
        .map(|v| format!("{} (vs {})", v.case, v.best))
        .collect();
    let label_width = labels.iter().map(|l| l.len()).max().unwrap_or(10) as u32 * 7 + 16;
    // The first case on top: row i spans y = n - 1 - i to n - i.
    let y = |i: usize| f64::from(n - 1 - i as i32);

    // x is log10 of the ratio, so equal factors are equal lengths; the grid lines are put at
    // round ratios by hand (plotters' own log axis labels nothing below 1).
    let (low, high) = (low.log10(), high.log10());
    let grid: Vec<f64> = [
        0.001_f64, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0,
        100.0, 200.0, 500.0, 1000.0,
    ]
    .into_iter()
    .filter(|r: &f64| (low..=high).contains(&r.log10()))
    .collect();

    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        let e = |e: DrawingAreaErrorKind<_>| format!("drawing {group}'s chart: {e:?}");
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{group}: ours / best peer, by cost (left of 1: ours costs less)"),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(label_width)
            .build_cartesian_2d(low..high, 0.0..f64::from(n))
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(0)
            .x_desc("cost ratio, log scale (ours / peer for costs, peer / ours for rates)")
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(e)?;
        let (bottom, top) = (|| 0.0, || f64::from(n));
        chart
            .draw_series(grid.iter().map(|&r| {
                let style = if r == 1.0 {
                    BLACK.stroke_width(2)
                } else {
                    BLACK.mix(0.15).stroke_width(1)
                };
                PathElement::new(vec![(r.log10(), bottom()), (r.log10(), top())], style)
            }))
            .map_err(e)?;
        chart
            .draw_series(grid.iter().map(|&r| {
                let style = TextStyle::from(("sans-serif", 12).into_font())
                    .pos(Pos::new(HPos::Center, VPos::Top));
                Text::new(trimmed(r), (r.log10(), bottom()), style)
            }))
            .map_err(e)?;
        chart
            .draw_series(versus.iter().enumerate().map(|(i, v)| {
                let colour = if v.ratio <= 1.0 { LEAD } else { TRAIL };
                let x = v.ratio.log10();
                let mut bar = Rectangle::new(
                    [(x.min(0.0), y(i)), (x.max(0.0), y(i) + 1.0)],
                    colour.filled(),
                );
                bar.set_margin(6, 6, 0, 0);
                bar
            }))
            .map_err(e)?;
        // Each bar's ratio just past its end, so the picture can be read without the table.
        chart
            .draw_series(versus.iter().enumerate().map(|(i, v)| {
                let (at, anchor) = if v.ratio <= 1.0 {
                    (v.ratio.log10() - 0.01 * (high - low), HPos::Right)
                } else {
                    (v.ratio.log10() + 0.01 * (high - low), HPos::Left)
                };
                let style = TextStyle::from(("sans-serif", 13).into_font())
                    .pos(Pos::new(anchor, VPos::Center));
                Text::new(ratio_text(v.ratio), (at, y(i) + 0.5), style)
            }))
            .map_err(e)?;
        // The case names left of the axis, each level with its bar (drawn on the root area:
        // plotters' own axis labels fall on round numbers, not on the rows).
        for (i, label) in labels.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(low, y(i) + 0.5));
            let style = TextStyle::from(("sans-serif", 13).into_font())
                .pos(Pos::new(HPos::Right, VPos::Center));
            root.draw(&Text::new(label.clone(), (px - 8, py), style))
                .map_err(e)?;
        }
        root.present().map_err(e)?;
    }
    Ok(Some(out))
}

/// A grid ratio without trailing zeros: 0.5, 1, 20.
fn trimmed(ratio: f64) -> String {
    let text = format!("{ratio:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::svg;
    use crate::report::table::Versus;

    fn versus(case: &str, ratio: f64) -> Versus {
        Versus {
            case: case.into(),
            ours: "asyncio-loop".into(),
            best: "smol".into(),
            ratio,
        }
    }

    #[test]
    fn the_chart_is_an_svg_with_a_labelled_bar_per_case() {
        let svg = svg("loop", &[versus("spawn_await", 0.72), versus("bulk", 1.16)])
            .expect("drawn")
            .expect("two cases to draw");
        assert!(svg.starts_with("<svg"), "{}", &svg[..60.min(svg.len())]);
        assert!(svg.contains("spawn_await (vs smol)"));
        assert!(svg.contains("bulk (vs smol)"));
        // plotters puts each text on a line of its own.
        assert!(svg.contains("\n0.72\n") && svg.contains("\n1.16\n"));
        // One green bar (ours cheaper) and one red (ours dearer).
        assert!(
            svg.contains("#2E8B57") || svg.contains("#2e8b57"),
            "lead colour"
        );
        assert!(
            svg.contains("#CD5C5C") || svg.contains("#cd5c5c"),
            "trail colour"
        );
    }

    #[test]
    fn nothing_to_compare_draws_nothing() {
        assert_eq!(svg("loop", &[]), Ok(None));
    }
}
