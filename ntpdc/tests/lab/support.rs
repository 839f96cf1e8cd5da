//! Helpers shared by the lab tests.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ntpkit_lab::{Lab, Normalizer, RefTool, RunOutput};

/// Serialises the tests that change daemon state (keys, counters, flags) with the tests that
/// compare that state, inside this test binary.
static STATE: Mutex<()> = Mutex::new(());

/// Takes the state lock (a failed test that held it does not poison the others).
pub fn state_lock() -> MutexGuard<'static, ()> {
    STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Which key signs requests to ntp3: held for writing by the test that moves its requestkey
/// away from key 1, for reading by the tests that sign with key 1 and take no state lock (a
/// CI run saw `unrestrict` refused while the request key was key 2).
static REQUEST_KEY: RwLock<()> = RwLock::new(());

/// Signs with key 1 while this is held: the request key stays key 1.
pub fn signing() -> RwLockReadGuard<'static, ()> {
    REQUEST_KEY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Changes the request key while this is held.
pub fn changing_request_key() -> RwLockWriteGuard<'static, ()> {
    REQUEST_KEY
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The lab's MD5 request key, as the reference ntpdc takes it.
pub const REF_AUTH: [&str; 4] = ["-c", "keyid 1", "-c", "passwd ntpkitLabMd5Key1"];

/// Our ntpdc with `args`.
pub fn ours(lab: &Lab, args: &[&str]) -> RunOutput {
    lab.command(env!("CARGO_BIN_EXE_ntpdc")).args(args).run()
}

/// Our ntpdc signing with key `id` from the lab's keys file.
pub fn ours_signed(lab: &Lab, id: u32, args: &[&str]) -> RunOutput {
    let keys = lab.private_keys_file().display().to_string();
    let id = id.to_string();
    let mut all = vec!["-n", "-k", &keys, "-a", &id];
    all.extend_from_slice(args);
    ours(lab, &all)
}

/// The reference ntpdc with `args`.
pub fn theirs(lab: &Lab, args: &[&str]) -> RunOutput {
    lab.reference(RefTool::Ntpdc).args(args).run()
}

/// The reference ntpdc signing with the lab's MD5 key 1.
pub fn theirs_signed(lab: &Lab, args: &[&str]) -> RunOutput {
    let mut all = vec!["-n"];
    all.extend_from_slice(&REF_AUTH);
    all.extend_from_slice(args);
    theirs(lab, &all)
}

/// Lines other engineers' tests (10.77.99.x) and ours (10.77.98.x) may add for a moment.
fn foreign(line: &str) -> bool {
    line.contains("10.77.99.") || line.contains("10.77.98.")
}

fn numeric(token: &str) -> Option<f64> {
    token
        .trim_end_matches(',')
        .trim_end_matches('s')
        .trim_start_matches('+')
        .parse()
        .ok()
}

/// Whether `ours` may stand between `before` and `after` (the reference's two readings):
/// equal text; a number between the two (counters), or within 50 ms of both (small
/// measurements); or a full address where the reference cut it to 15 characters.
fn token_fits(ours: &str, before: &str, after: &str) -> bool {
    if ours == before || ours == after {
        return true;
    }
    if before.len() == 15 && ours.starts_with(before) {
        return true;
    }
    match (numeric(ours), numeric(before), numeric(after)) {
        (Some(o), Some(b), Some(a)) => {
            let (lo, hi) = (b.min(a), b.max(a));
            (lo..=hi).contains(&o)
                || (ours.contains('.') && (o - b).abs() <= 0.05 && (o - a).abs() <= 0.05)
        }
        _ => false,
    }
}

/// Compares our output with two reference readings taken before and after it, after
/// normalising with `normalizer` and dropping transient test associations.
///
/// # Panics
/// When a line or a token does not fit.
#[track_caller]
pub fn assert_fits(what: &str, ours: &str, before: &str, after: &str, normalizer: &Normalizer) {
    let lines = |text: &str| -> Vec<String> {
        normalizer
            .normalize(text)
            .lines()
            .filter(|l| !foreign(l))
            .map(str::to_owned)
            .collect()
    };
    let (o, b, a) = (lines(ours), lines(before), lines(after));
    assert_eq!(
        o.len(),
        b.len(),
        "{what}: line count\nours:\n{ours}\nreference:\n{before}"
    );
    for ((ol, bl), al) in o
        .iter()
        .zip(&b)
        .zip(a.iter().chain(std::iter::repeat(&String::new())))
    {
        let ot: Vec<&str> = ol.split_whitespace().collect();
        let bt: Vec<&str> = bl.split_whitespace().collect();
        let at: Vec<&str> = al.split_whitespace().collect();
        assert_eq!(
            ot.len(),
            bt.len(),
            "{what}: tokens of\n  ours: {ol}\n  ref:  {bl}\nours:\n{ours}\nreference:\n{before}"
        );
        for (i, (ot, bt)) in ot.iter().zip(&bt).enumerate() {
            let at = at.get(i).copied().unwrap_or(bt);
            assert!(
                token_fits(ot, bt, at),
                "{what}: '{ot}' does not fit '{bt}'..'{at}' in\n  ours: {ol}\n  ref:  {bl}\nours:\n{ours}\nreference:\n{before}"
            );
        }
    }
}

/// The reference ntpdc's `label: value` for `label` in `text`.
#[must_use]
pub fn value_of<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(label).and_then(|r| r.strip_prefix(':')))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_fit_counters_measurements_and_cut_addresses() {
        assert!(token_fits("12", "10", "14"));
        assert!(!token_fits("15", "10", "14"));
        assert!(token_fits("0.00012", "0.00010", "0.00010"));
        assert!(token_fits(
            "fe80::fb:e8ff:fe83:44ed",
            "fe80::fb:e8ff:f",
            "fe80::fb:e8ff:f"
        ));
        assert!(!token_fits("client", "server", "server"));
        assert_eq!(
            value_of("stored keys:          4\n", "stored keys"),
            Some("4")
        );
    }
}
