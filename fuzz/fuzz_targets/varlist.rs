//! Variable-list text (`ntpkit::control::VarList`, ntpq's `nextvar` rules): what parses
//! encodes as request text (`VarList::encode`) that parses to an equal list and encodes
//! identically, and prints as ntpd's response text (`Display`) that parses to an equal list;
//! every typed accessor, the records built from variables (system, peer, filter registers,
//! leap state) and the MRU page reader take any text without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntpkit::control::{AssocId, MruPage, PeerStatus, VarList, split_indexed};
use ntpkit::leap::{LeapDaemon, ServerLeapState};
use ntpkit::record::{FilterRegisters, PeerVariables, SystemVariables};

fuzz_target!(|data: &[u8]| {
    let page = MruPage::read(data);
    let _ = (page.is_last(), page.rows().len());

    let (partial, error) = VarList::parse_partial(data);
    let list = match VarList::parse(data) {
        Ok(list) => {
            assert_eq!(error, None);
            list
        }
        Err(err) => {
            assert_eq!(error, Some(err));
            partial
        }
    };
    if error.is_none() {
        round_trip(&list);
    }

    for var in &list {
        let _ = (var.as_f64(), var.as_i64(), var.as_u64(), var.as_hex());
        let _ = (var.as_timestamp(), var.as_f64_array(), var.is_quoted());
        let (tag, index) = split_indexed(&var.name);
        if index.is_some() {
            assert!(var.name.starts_with(tag) && tag.len() < var.name.len());
        }
    }
    let _ = SystemVariables::from_vars("fuzz", &list);
    let _ = PeerVariables::from_vars(AssocId(1), PeerStatus::from_bits(0x961a), &list);
    let _ = FilterRegisters::from_vars(&list);
    let daemon = LeapDaemon::from_version(list.text("version").unwrap_or_default());
    let state = ServerLeapState::from_vars(daemon, &list, 1_700_000_000);
    let _ = state.record("fuzz", 1_700_000_000.5);
});

/// Request text and response text both read back as the same list.
fn round_trip(list: &VarList) {
    match list.encode() {
        Ok(text) => {
            let again = VarList::parse(text.as_bytes())
                .unwrap_or_else(|err| panic!("encoded {text:?} does not parse: {err}"));
            assert_eq!(&again, list);
            assert_eq!(again.encode().as_deref(), Ok(text.as_str()));
        }
        Err(err) => panic!("a parsed list does not encode: {err}"),
    }
    let shown = list.to_string();
    let again = VarList::parse(shown.as_bytes())
        .unwrap_or_else(|err| panic!("displayed {shown:?} does not parse: {err}"));
    assert_eq!(&again, list);
}
