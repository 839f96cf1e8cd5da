//! Leap-seconds files (`ntpkit::leap::LeapSecondsFile`): any text is read and checked at any
//! time without panicking; and what it states, written again by `LeapFileSpec::render`, reads
//! back as the same update, expiry and entries, with a hash that matches.
//!
//! Input: the time of the check (i64, big-endian, Unix seconds), then the file (invalid UTF-8
//! replaced, as a file read lossily would be).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntpkit::leap::{HashStatus, LeapFileSpec, LeapSecondsFile, hash_text};

fuzz_target!(|data: &[u8]| {
    let (now, text) = match data.split_first_chunk::<8>() {
        Some((now, text)) => (i64::from_be_bytes(*now), text),
        None => (1_700_000_000, data),
    };
    let text = String::from_utf8_lossy(text);
    let file = LeapSecondsFile::parse(&text);
    let report = file.check(now);
    assert_eq!(report.entries, file.entries.len());
    assert_eq!(report.hash, file.hash_status());
    let _ = hash_text(&file.computed_hash);

    let (Some(updated), Some(expires)) = (file.updated, file.expires) else {
        return;
    };
    let spec = LeapFileSpec {
        updated,
        expires,
        entries: file
            .entries
            .iter()
            .map(|e| (e.ntp_seconds, e.tai_offset))
            .collect(),
    };
    let written = spec.render();
    let again = LeapSecondsFile::parse(&written);
    assert_eq!(
        (again.updated, again.expires),
        (Some(updated), Some(expires))
    );
    let entries: Vec<_> = again
        .entries
        .iter()
        .map(|e| (e.ntp_seconds, e.tai_offset))
        .collect();
    assert_eq!(entries, spec.entries);
    assert_eq!(again.hash_status(), HashStatus::Ok, "{written}");
    let _ = again.check(now);
});
