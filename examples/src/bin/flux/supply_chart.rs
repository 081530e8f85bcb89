//! `flux supply --chart FILE.svg`: the cumulative emission of each recipient class from block 1 to
//! the report's height, both eras, with the proof-of-node activation and each PON subsidy
//! reduction marked, drawn with plotters' SVG backend.

use flux_nodes::SubsidyParams;
use flux_nodes::supply::{Emission, emitted};
use flux_pow::{BlockHeight, Network, ProofOfNodeStart};
use plotters::prelude::*;

/// Points per line: enough for every era's slope to show, few enough for a small file.
const SAMPLES: u32 = 600;

/// The heights where the emission's schedule changes that the chart marks: the PON activation
/// and each reduction up to `height`.
pub fn markers(network: Network, height: BlockHeight) -> Vec<(u32, String)> {
    let params = SubsidyParams::for_network(network);
    let mut marks = Vec::new();
    if let ProofOfNodeStart::At(start) = ProofOfNodeStart::for_network(network) {
        if start <= height {
            marks.push((start.0, format!("proof of node {}", start.0)));
        }
        for year in 1..=params.pon_max_reductions {
            let at = i64::from(start.0) + year * params.pon_reduction_interval;
            match u32::try_from(at) {
                Ok(at) if at <= height.0 => {
                    marks.push((at, format!("reduction {year}")));
                }
                _ => break,
            }
        }
    }
    marks
}

/// A class drawn: its legend, its amount (zatoshis) in an [`Emission`], its colour.
type Series = (&'static str, fn(&Emission) -> i64, RGBColor);

/// The classes drawn.
fn series() -> [Series; 7] {
    [
        ("premine", |e| e.premine.zat(), RGBColor(120, 120, 120)),
        ("miners", |e| e.miners.zat(), RGBColor(31, 119, 180)),
        ("cumulus", |e| e.tiers[0].zat(), RGBColor(44, 160, 44)),
        ("nimbus", |e| e.tiers[1].zat(), RGBColor(255, 127, 14)),
        ("stratus", |e| e.tiers[2].zat(), RGBColor(214, 39, 40)),
        ("dev fund", |e| e.dev_fund.zat(), RGBColor(148, 103, 189)),
        (
            "exchange, foundation and swap-pool funds",
            |e| {
                e.exchange_fund
                    .zat()
                    .saturating_add(e.foundation_fund.zat())
                    .saturating_add(e.swap_pool.zat())
            },
            RGBColor(140, 86, 75),
        ),
    ]
}

/// Draws the chart into `path`.
///
/// # Errors
/// A message when the emission cannot be computed or the file cannot be written.
pub fn draw(
    path: &std::path::Path,
    network: Network,
    height: BlockHeight,
    payments_start: BlockHeight,
) -> Result<(), String> {
    let step = (height.0 / SAMPLES).max(1);
    let mut heights: Vec<u32> = (1..=height.0).step_by(step as usize).collect();
    if heights.last() != Some(&height.0) && height.0 >= 1 {
        heights.push(height.0);
    }
    let points: Vec<(u32, Emission)> = heights
        .iter()
        .map(|h| {
            emitted(network, BlockHeight(*h), payments_start)
                .map(|emission| (*h, emission))
                .map_err(|error| error.to_string())
        })
        .collect::<Result<_, _>>()?;
    let flux = |zat: i64| zat as f64 / 1e8 / 1e6;
    let top = points
        .iter()
        .flat_map(|(_, emission)| series().map(|(_, amount, _)| flux(amount(emission))))
        .fold(1.0_f64, f64::max)
        * 1.08;

    let root = SVGBackend::new(path, (1200, 700)).into_drawing_area();
    let failed = |error: &dyn std::fmt::Display| format!("cannot draw {}: {error}", path.display());
    root.fill(&WHITE).map_err(|e| failed(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("FLUX emitted by class, {network} blocks 1 to {}", height.0),
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(0u32..height.0.max(1), 0f64..top)
        .map_err(|e| failed(&e))?;
    chart
        .configure_mesh()
        .x_desc("block height")
        .y_desc("million FLUX emitted")
        .draw()
        .map_err(|e| failed(&e))?;
    for (label, amount, color) in series() {
        chart
            .draw_series(LineSeries::new(
                points
                    .iter()
                    .map(|(h, emission)| (*h, flux(amount(emission)))),
                color.stroke_width(2),
            ))
            .map_err(|e| failed(&e))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    for (at, label) in markers(network, height) {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(at, 0.0), (at, top)],
                BLACK.mix(0.5).stroke_width(1),
            )))
            .map_err(|e| failed(&e))?;
        chart
            .draw_series(std::iter::once(Text::new(
                label,
                (at, top * 0.97),
                ("sans-serif", 12).into_font().color(&BLACK),
            )))
            .map_err(|e| failed(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| failed(&e))?;
    root.present().map_err(|e| failed(&e))
}
