//! Worker sweeps: `pool:N` (and `pool:N:cp`) for every N in a range, beside sequential and
//! parallel, with the knee named: the smallest N within 5 % of parallel's wall. Computed from a
//! wall per strategy (the virtual clock's prediction, or a measured run), rendered as a table,
//! JSON, CSV or an SVG chart.

use serde::Serialize;

use super::figures::{Saved, duration, saved, saved_text, speedup};
use super::svg::{escape, open_tag};
use crate::engine::Strategy;
use crate::engine::record;

/// Which pools a sweep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// `pool:N`: ready calls start in file order.
    Pool,
    /// `pool:N:cp`: the longest remaining chain first.
    PoolCp,
}

impl Family {
    /// This family's strategy with `n` workers.
    pub fn strategy(self, n: usize) -> Strategy {
        match self {
            Family::Pool => Strategy::Pool(n),
            Family::PoolCp => Strategy::PoolCp(n),
        }
    }

    /// Its name in tables: `pool:N` or `pool:N:cp`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Pool => "pool:N",
            Family::PoolCp => "pool:N:cp",
        }
    }
}

/// Within this share of parallel's wall, more workers buy (almost) nothing.
pub const KNEE_SHARE: f64 = 0.05;

/// One pool size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// The pool family.
    pub strategy: Family,
    /// N.
    pub workers: usize,
    /// Its wall.
    pub wall_ms: f64,
    /// Sequential ÷ wall.
    pub speedup: f64,
    /// Sequential − wall.
    pub saved_ms: f64,
    /// That over sequential.
    pub saved_share: f64,
}

/// Where a family's curve flattens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Knee {
    /// The pool family.
    pub strategy: Family,
    /// The smallest N within 5 % of parallel's wall.
    pub workers: usize,
}

/// A whole sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sweep {
    /// The scenario's name.
    pub scenario: String,
    /// `virtual` (exact predictions) or `real` (measured).
    pub clock: String,
    /// The speed the walls are at.
    pub speed: f64,
    /// The sequential lane's wall, the reference of every speedup.
    pub sequential_ms: f64,
    /// The parallel lane's wall, the floor a pool approaches.
    pub parallel_ms: f64,
    /// Every (family, N), family by family, N ascending.
    pub points: Vec<Point>,
    /// Each family's knee, where it has one in the range.
    pub knees: Vec<Knee>,
}

/// Sweeps `workers` for each family, asking `wall` for every strategy's wall.
pub fn sweep(
    scenario: &str,
    clock: &str,
    speed: f64,
    workers: std::ops::RangeInclusive<usize>,
    families: &[Family],
    mut wall: impl FnMut(Strategy) -> f64,
) -> Sweep {
    let sequential_ms = wall(Strategy::Sequential);
    let parallel_ms = wall(Strategy::Parallel);
    let mut points = Vec::new();
    let mut knees = Vec::new();
    for &family in families {
        let mut knee = None;
        for n in workers.clone() {
            let w = wall(family.strategy(n));
            let s: Option<Saved> = saved(sequential_ms, w);
            points.push(Point {
                strategy: family,
                workers: n,
                wall_ms: w,
                speedup: record::speedup(sequential_ms, w),
                saved_ms: s.map_or(0.0, |s| s.ms),
                saved_share: s.map_or(0.0, |s| s.share),
            });
            if knee.is_none() && w <= parallel_ms * (1.0 + KNEE_SHARE) {
                knee = Some(n);
            }
        }
        if let Some(workers) = knee {
            knees.push(Knee {
                strategy: family,
                workers,
            });
        }
    }
    Sweep {
        scenario: scenario.to_string(),
        clock: clock.to_string(),
        speed,
        sequential_ms,
        parallel_ms,
        points,
        knees,
    }
}

impl Sweep {
    /// The points of one family.
    pub fn curve(&self, family: Family) -> impl Iterator<Item = &Point> {
        self.points.iter().filter(move |p| p.strategy == family)
    }

    fn families(&self) -> Vec<Family> {
        let mut out: Vec<Family> = Vec::new();
        for p in &self.points {
            if !out.contains(&p.strategy) {
                out.push(p.strategy);
            }
        }
        out
    }

    /// `pool:N reaches parallel's wall within 5 % at N = 4`, or that it does not in the range.
    pub fn knee_sentence(&self, family: Family) -> String {
        match self.knees.iter().find(|k| k.strategy == family) {
            Some(k) => format!(
                "{}: the knee is N = {} (the fewest workers within {:.0} % of parallel's {})",
                family.name(),
                k.workers,
                KNEE_SHARE * 100.0,
                duration(self.parallel_ms)
            ),
            None => format!(
                "{}: no N in the range comes within {:.0} % of parallel's {}",
                family.name(),
                KNEE_SHARE * 100.0,
                duration(self.parallel_ms)
            ),
        }
    }
}

/// An aligned table, one row per N, one wall column per family, then the knees.
pub fn table(s: &Sweep) -> String {
    let families = s.families();
    let mut out = format!(
        "{} · {} clock · speed {}×\nsequential {} · parallel {}\n\n",
        s.scenario,
        s.clock,
        crate::engine::units::fmt_num(s.speed),
        duration(s.sequential_ms),
        duration(s.parallel_ms)
    );
    let mut header = vec!["N".to_string()];
    for f in &families {
        header.extend([
            format!("{} wall", f.name()),
            "speedup".into(),
            "saved".into(),
        ]);
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let ns: Vec<usize> = s.curve(families[0]).map(|p| p.workers).collect();
    for n in ns {
        let mut row = vec![n.to_string()];
        for &f in &families {
            match s.curve(f).find(|p| p.workers == n) {
                Some(p) => {
                    let knee = s.knees.iter().any(|k| k.strategy == f && k.workers == n);
                    row.push(format!(
                        "{}{}",
                        duration(p.wall_ms),
                        if knee { " ◀ knee" } else { "" }
                    ));
                    row.push(speedup(p.speedup));
                    row.push(saved_text(saved(s.sequential_ms, p.wall_ms)));
                }
                None => row.extend(["—".into(), "—".into(), "—".into()]),
            }
        }
        rows.push(row);
    }
    let mut all = vec![header];
    all.extend(rows);
    out.push_str(&super::columns::columns(&all, &[], "", 3, false));
    out.push('\n');
    for f in families {
        out.push_str(&s.knee_sentence(f));
        out.push('\n');
    }
    out
}

/// The sweep as JSON: `{"points":[{"workers":N,"wall_ms":…,"speedup":…},…],"sequential_ms":…,
/// "parallel_ms":…,"knees":[…]}`.
pub fn json(s: &Sweep) -> String {
    let mut out = serde_json::to_string_pretty(s).expect("a sweep always serializes");
    out.push('\n');
    out
}

/// One CSV row per point.
pub fn csv(s: &Sweep) -> String {
    let mut out = String::from("strategy,workers,wall_ms,speedup,saved_ms,saved_share,knee\n");
    for p in &s.points {
        let knee = s
            .knees
            .iter()
            .any(|k| k.strategy == p.strategy && k.workers == p.workers);
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            p.strategy.name(),
            p.workers,
            p.wall_ms,
            p.speedup,
            p.saved_ms,
            p.saved_share,
            knee
        ));
    }
    out
}

/// A standalone SVG chart: wall against N for each family, sequential and parallel as dashed
/// reference lines, each knee marked.
pub fn svg(s: &Sweep) -> String {
    const W: f64 = 800.0;
    const H: f64 = 460.0;
    const L: f64 = 80.0;
    const R: f64 = 30.0;
    const T: f64 = 60.0;
    const B: f64 = 60.0;
    let ns: Vec<usize> = s.points.iter().map(|p| p.workers).collect();
    let (n0, n1) = (
        ns.iter().copied().min().unwrap_or(1),
        ns.iter().copied().max().unwrap_or(1),
    );
    let top = s
        .points
        .iter()
        .map(|p| p.wall_ms)
        .fold(s.sequential_ms, f64::max)
        .max(1e-9);
    let x = |n: usize| {
        if n1 == n0 {
            L + (W - L - R) / 2.0
        } else {
            L + (n - n0) as f64 / (n1 - n0) as f64 * (W - L - R)
        }
    };
    let y = |ms: f64| T + (1.0 - ms / top) * (H - T - B);
    let mut out = format!(
        r##"{}
<rect width="{W}" height="{H}" fill="white"/>
<text x="{L}" y="28" font-size="16" font-weight="bold">{}</text>
<text x="{L}" y="46" fill="#555">wall against workers ({} clock, speed {}×)</text>
<line x1="{L}" y1="{}" x2="{}" y2="{}" stroke="#333"/>
<line x1="{L}" y1="{T}" x2="{L}" y2="{}" stroke="#333"/>
"##,
        open_tag(W, H, ""),
        escape(&s.scenario),
        escape(&s.clock),
        crate::engine::units::fmt_num(s.speed),
        H - B,
        W - R,
        H - B,
        H - B,
    );
    for n in n0..=n1 {
        out.push_str(&format!(
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{n}</text>
"#,
            x(n),
            H - B + 18.0
        ));
    }
    out.push_str(&format!(
        r#"<text x="{:.1}" y="{}" text-anchor="middle">workers (N)</text>
"#,
        (L + W - R) / 2.0,
        H - 14.0
    ));
    for (label, ms) in [("sequential", s.sequential_ms), ("parallel", s.parallel_ms)] {
        out.push_str(&format!(
            r##"<line x1="{L}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#999" stroke-dasharray="6 4"/>
<text x="{}" y="{:.1}" text-anchor="end" fill="#555">{label} {}</text>
"##,
            W - R,
            W - R,
            y(ms) - 4.0,
            escape(&duration(ms)),
            y = y(ms),
        ));
    }
    out.push_str(&format!(
        r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>
<text x="{}" y="{:.1}" text-anchor="end">0</text>
"#,
        L - 6.0,
        y(top) + 4.0,
        escape(&duration(top)),
        L - 6.0,
        y(0.0) + 4.0
    ));
    for (k, family) in s.families().into_iter().enumerate() {
        let colour = ["#1f77b4", "#d62728"][k % 2];
        let pts: Vec<String> = s
            .curve(family)
            .map(|p| format!("{:.1},{:.1}", x(p.workers), y(p.wall_ms)))
            .collect();
        out.push_str(&format!(
            r##"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>
"##,
            pts.join(" ")
        ));
        for p in s.curve(family) {
            out.push_str(&format!(
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"><title>{} N={} {}</title></circle>
"#,
                x(p.workers),
                y(p.wall_ms),
                family.name(),
                p.workers,
                escape(&duration(p.wall_ms))
            ));
        }
        if let Some(knee) = s.knees.iter().find(|kn| kn.strategy == family)
            && let Some(p) = s.curve(family).find(|p| p.workers == knee.workers)
        {
            out.push_str(&format!(
                r#"<circle cx="{:.1}" cy="{:.1}" r="7" fill="none" stroke="{colour}" stroke-width="2"/>
<text x="{:.1}" y="{:.1}" fill="{colour}">knee N = {}</text>
"#,
                x(p.workers),
                y(p.wall_ms),
                x(p.workers) + 9.0,
                y(p.wall_ms) - 9.0,
                p.workers
            ));
        }
        out.push_str(&format!(
            r#"<text x="{}" y="{}" fill="{colour}" font-weight="bold">{}</text>
"#,
            L + 10.0 + 110.0 * k as f64,
            T + 14.0,
            family.name()
        ));
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_knee_is_the_fewest_workers_within_five_percent_of_parallel() {
        let walls = |s: Strategy| match s {
            Strategy::Sequential => 10.0,
            Strategy::Parallel => 1.0,
            Strategy::Pool(n) => 10.0 / n as f64,
            _ => 0.0,
        };
        let s = sweep("x", "virtual", 1.0, 1..=12, &[Family::Pool], walls);
        assert_eq!(
            s.knees,
            [Knee {
                strategy: Family::Pool,
                workers: 10
            }]
        );
        assert_eq!(s.points[1].speedup, 2.0);
        assert!(table(&s).contains("◀ knee"));
        assert!(svg(&s).contains("knee N = 10"));
        assert_eq!(csv(&s).lines().count(), 13);
    }
}
