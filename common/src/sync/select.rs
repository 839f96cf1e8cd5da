//! Selection among servers: the intersection algorithm of RFC 5905 §11.2.1 (after Marzullo) finds
//! the largest group of servers whose correctness intervals `[θ − λ, θ + λ]` agree; the others are
//! falsetickers. Among the truechimers the lowest stratum, then the smallest root distance, wins.

/// One server's best sample, as the selection sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Offset θ of its best sample, seconds.
    pub offset: f64,
    /// Root distance λ of its best sample, seconds: the half-width of its correctness interval.
    pub root_distance: f64,
    /// Its stratum.
    pub stratum: u8,
}

/// The outcome of [`select`]; indices refer to the candidates passed in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selection {
    /// Servers whose intervals contain the agreed intersection.
    pub truechimers: Vec<usize>,
    /// Servers outside it.
    pub falsetickers: Vec<usize>,
    /// The agreed interval `(low, high)`, seconds; `None` when no majority agrees.
    pub interval: Option<(f64, f64)>,
    /// The server to follow: lowest stratum, then smallest root distance, among the truechimers.
    pub chosen: Option<usize>,
}

/// Runs the intersection algorithm and picks a server. With no majority (fewer than half of the
/// servers agreeing, or two servers disagreeing), every server is a falseticker and none is chosen.
#[must_use]
pub fn select(candidates: &[Candidate]) -> Selection {
    let n = candidates.len();
    // Endpoints: (value, kind) with kind −1 for a lower end, 0 for a midpoint, +1 for an upper end.
    let mut ends: Vec<(f64, i8)> = candidates
        .iter()
        .flat_map(|c| {
            [
                (c.offset - c.root_distance, -1),
                (c.offset, 0),
                (c.offset + c.root_distance, 1),
            ]
        })
        .collect();
    ends.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut interval = None;
    let mut allow = 0;
    while 2 * allow < n {
        let need = n - allow;
        let (mut found, mut chime) = (0, 0_usize);
        let mut low = None;
        for &(value, kind) in &ends {
            match kind {
                -1 => chime += 1,
                1 => chime = chime.saturating_sub(1),
                _ => found += 1,
            }
            if chime >= need {
                low = Some(value);
                break;
            }
        }
        let mut high = None;
        chime = 0;
        for &(value, kind) in ends.iter().rev() {
            match kind {
                1 => chime += 1,
                -1 => chime = chime.saturating_sub(1),
                _ => found += 1,
            }
            if chime >= need {
                high = Some(value);
                break;
            }
        }
        if found <= allow
            && let (Some(l), Some(h)) = (low, high)
            && l <= h
        {
            interval = Some((l, h));
            break;
        }
        allow += 1;
    }
    let mut sel = Selection {
        interval,
        ..Selection::default()
    };
    for (i, c) in candidates.iter().enumerate() {
        let inside = interval.is_some_and(|(l, h)| {
            c.offset - c.root_distance <= h && c.offset + c.root_distance >= l
        });
        if inside {
            sel.truechimers.push(i);
        } else {
            sel.falsetickers.push(i);
        }
    }
    sel.chosen = sel
        .truechimers
        .iter()
        .filter_map(|&i| candidates.get(i).map(|c| (i, c)))
        .min_by(|(_, a), (_, b)| {
            a.stratum
                .cmp(&b.stratum)
                .then(a.root_distance.total_cmp(&b.root_distance))
        })
        .map(|(i, _)| i);
    sel
}
