//! The local clock's frequency error from offsets measured over an interval (the drift-measurement
//! mode of the seed clients): a weighted least-squares line through (local time, offset); its slope
//! is how fast the server runs relative to us.
//!
//! A sample's offset can be wrong by up to half its round-trip delay (the path asymmetry nobody can
//! see), so each point weighs 1/delay²: one sample delayed by a busy moment barely moves the line,
//! where an unweighted fit over a few seconds would follow it.

/// One measurement: when (local clock, seconds from any origin) and the offset then (seconds,
/// positive when the server is ahead).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriftPoint {
    /// Local time of the measurement, seconds.
    pub at: f64,
    /// Offset θ, seconds.
    pub offset: f64,
    /// Round-trip delay δ, seconds (floored at a microsecond for the weight).
    pub delay: f64,
}

/// The frequency error of the local clock relative to a server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriftEstimate {
    /// Frequency error in parts per million: positive when the local clock runs fast (the offset
    /// falls over time), negative when it runs slow.
    pub ppm: f64,
    /// Standard error of [`DriftEstimate::ppm`] (one sigma), from the weighted residuals of the fit.
    pub error_ppm: f64,
    /// Points used.
    pub points: usize,
    /// Local time between the first and the last point, seconds.
    pub span: f64,
    /// Offset the line gives at the last point, seconds.
    pub offset_at_end: f64,
}

/// Fits a line through the points, each weighted by 1/delay²; `None` for fewer than three points or
/// no time between them.
#[must_use]
pub fn estimate(points: &[DriftPoint]) -> Option<DriftEstimate> {
    if points.len() < 3 {
        return None;
    }
    let weight = |p: &DriftPoint| 1.0 / p.delay.max(1e-6).powi(2);
    let sw: f64 = points.iter().map(weight).sum();
    let mean_t = points.iter().map(|p| weight(p) * p.at).sum::<f64>() / sw;
    let mean_o = points.iter().map(|p| weight(p) * p.offset).sum::<f64>() / sw;
    let sxx: f64 = points
        .iter()
        .map(|p| weight(p) * (p.at - mean_t).powi(2))
        .sum();
    if sxx <= 0.0 || !sxx.is_finite() {
        return None;
    }
    let sxy: f64 = points
        .iter()
        .map(|p| weight(p) * (p.at - mean_t) * (p.offset - mean_o))
        .sum();
    let slope = sxy / sxx;
    let intercept = mean_o - slope * mean_t;
    let ssr: f64 = points
        .iter()
        .map(|p| weight(p) * (p.offset - (intercept + slope * p.at)).powi(2))
        .sum();
    #[expect(
        clippy::cast_precision_loss,
        reason = "a measurement has at most thousands of points"
    )]
    let n = points.len() as f64;
    let slope_error = (ssr / (n - 2.0) / sxx).sqrt();
    let first = points.iter().map(|p| p.at).fold(f64::INFINITY, f64::min);
    let last = points
        .iter()
        .map(|p| p.at)
        .fold(f64::NEG_INFINITY, f64::max);
    Some(DriftEstimate {
        ppm: -slope * 1e6,
        error_ppm: slope_error * 1e6,
        points: points.len(),
        span: last - first,
        offset_at_end: intercept + slope * last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_frequency_error() {
        // The local clock runs 25 ppm fast: the offset falls 25 µs per second, with ±20 µs noise.
        let noise = [
            20e-6, -15e-6, 5e-6, -20e-6, 10e-6, 0.0, -5e-6, 15e-6, -10e-6, 0.0,
        ];
        let points: Vec<DriftPoint> = noise
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let at = 100.0 + 2.0 * i as f64;
                DriftPoint {
                    at,
                    offset: 0.003 - 25e-6 * (at - 100.0) + e,
                    delay: 50e-6,
                }
            })
            .collect();
        let d = estimate(&points).unwrap();
        assert!((d.ppm - 25.0).abs() < 2.0, "{d:?}");
        assert!(d.error_ppm > 0.1 && d.error_ppm < 3.0, "{d:?}");
        assert_eq!((d.points, d.span), (10, 18.0));
        assert!((d.offset_at_end - (0.003 - 25e-6 * 18.0)).abs() < 30e-6);
    }

    #[test]
    fn exact_line_has_no_error_and_slow_clocks_are_negative() {
        let points: Vec<DriftPoint> = (0..5)
            .map(|i| DriftPoint {
                at: f64::from(i),
                offset: 1e-5 * f64::from(i),
                delay: 1e-4,
            })
            .collect();
        let d = estimate(&points).unwrap();
        assert!((d.ppm + 10.0).abs() < 1e-9);
        assert!(d.error_ppm < 1e-9);
    }

    #[test]
    fn a_delayed_outlier_barely_moves_the_line() {
        // 10 ppm fast, 40 µs delays, and one sample 1 ms late whose offset is 0.5 ms off.
        let mut points: Vec<DriftPoint> = (0..20)
            .map(|i| DriftPoint {
                at: f64::from(i) * 0.2,
                offset: -10e-6 * f64::from(i) * 0.2,
                delay: 40e-6,
            })
            .collect();
        points[7].offset -= 0.5e-3;
        points[7].delay = 1e-3;
        let d = estimate(&points).unwrap();
        assert!((d.ppm - 10.0).abs() < 1.0, "{d:?}");
    }

    #[test]
    fn too_few_points_or_no_span() {
        let p = |at, offset| DriftPoint {
            at,
            offset,
            delay: 1e-4,
        };
        assert_eq!(estimate(&[p(0.0, 0.0), p(1.0, 0.0)]), None);
        assert_eq!(estimate(&[p(1.0, 0.0), p(1.0, 1.0), p(1.0, 2.0)]), None);
    }
}
