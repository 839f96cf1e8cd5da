//! Keys files (`ntpkit::auth::KeysFile`): any octets either are refused with an error or parse
//! to a file whose text (`KeysFile::to_text`) parses to an equal file and prints identically;
//! every key of it signs; and the lint reads any octets without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntpkit::auth::KeysFile;

fuzz_target!(|data: &[u8]| {
    let _ = KeysFile::lint_bytes(data);
    let Ok(file) = KeysFile::parse_bytes("fuzz.keys", data) else {
        return;
    };
    let text = file.to_text();
    let again = KeysFile::parse("fuzz.keys", &text)
        .unwrap_or_else(|err| panic!("written text does not parse: {err}"));
    assert_eq!(again, file);
    assert_eq!(*again.to_text(), *text);
    assert_eq!(again.len(), file.entries().count());
    for entry in file.entries() {
        let key = entry.key();
        assert_eq!(file.get(entry.id()).map(|k| k.id()), Some(entry.id()));
        let mac = key.mac(b"fuzz");
        assert!(key.verify(b"fuzz", &mac));
    }
});
