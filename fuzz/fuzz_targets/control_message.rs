//! One mode 6 datagram (`ntpkit::control`): the header re-encodes to its 12 octets; a fragment
//! that decodes re-encodes (`ControlFragment::encode`) to octets that decode to the same
//! header, data and MAC trailer and re-encode identically; its data read as a response (text,
//! variable list, association list, status words, error code) never panics, and an association
//! list re-encodes to the data; and the same data sent as a request decodes back to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntpkit::auth::{Key, KeyId, KeyType};
use ntpkit::control::{
    AssocStatus, CONTROL_HEADER_LEN, CONTROL_MAX_DATA, ControlFragment, ControlHeader,
    ControlRequest, ControlResponse, ErrorCode, FlashBits, MacAlignment,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = ControlHeader::decode(data) {
        assert_eq!(header.encode()[..], data[..CONTROL_HEADER_LEN]);
    }
    let Ok(fragment) = ControlFragment::decode(data) else {
        return;
    };
    assert_eq!(fragment.data.len(), usize::from(fragment.header.count));
    let key = Key::new(KeyId(1), KeyType::Md5, b"fuzzing".to_vec());
    let _ = fragment.verify(&key);

    let encoded = fragment.encode();
    let again = ControlFragment::decode(&encoded).expect("an encoded fragment decodes");
    assert_eq!(
        (again.header, again.data, again.trailer),
        (fragment.header, fragment.data, fragment.trailer)
    );
    assert_eq!(again.encode(), encoded);

    // The fragment's data as a whole response, read every way ntpq reads one.
    let header = fragment.header;
    let response = ControlResponse {
        opcode: header.opcode,
        sequence: header.sequence,
        assoc: header.assoc,
        status: header.status,
        leap: header.leap,
        version: header.version,
        data: fragment.data.to_vec(),
        fragments: 1,
        authenticated: false,
    };
    let _ = response.text();
    if let Ok(vars) = response.variables() {
        let _ = vars.to_string();
    }
    if let Ok(list) = response.assoc_list() {
        assert_eq!(AssocStatus::encode_list(&list), fragment.data);
        for entry in &list {
            let _ = entry.status.to_string();
        }
    }
    let _ = format!(
        "{} {} {} {} {}",
        response.system_status(),
        response.peer_status(),
        response.clock_status(),
        FlashBits(header.status),
        header.opcode
    );
    let code = ErrorCode::from_status(header.status);
    assert_eq!(ErrorCode::from_status(code.to_status()), code);
    let _ = code.ntpq_message(header.assoc);

    // The same data as a request: it decodes back to what was sent.
    if fragment.data.len() <= CONTROL_MAX_DATA {
        let version = header.version.clamp(1, 4);
        let request =
            ControlRequest::new(header.opcode, header.assoc, fragment.data).with_version(version);
        for auth in [
            None,
            Some((&key, MacAlignment::Eight)),
            Some((&key, MacAlignment::Four)),
        ] {
            let bytes = request
                .encode(header.sequence, auth)
                .expect("a request of at most 468 octets encodes");
            let sent = ControlFragment::decode(&bytes).expect("a request decodes");
            let count = u16::try_from(fragment.data.len()).expect("468 fits");
            assert_eq!(
                sent.header,
                ControlHeader::request(
                    header.opcode,
                    version,
                    header.sequence,
                    header.assoc,
                    count
                )
            );
            assert_eq!(sent.data, fragment.data);
            assert_eq!(auth.is_some(), sent.verify(&key));
        }
    }
});
