//! Every mode 7 item type (`ntpkit::private::PrivateItem`) in each of its sizes: what decodes
//! encodes at the same size to octets that decode to an equal item and re-encode identically
//! (`encode ∘ decode` is a projection, and the identity on its image); any other item size is
//! refused without panicking; and the trusted-key list reads back what its request carries.
//!
//! Input: an item size to try as is (u16), then the item octets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntpkit::private::{Implementation, PrivateItem, RequestCode, ServerLong, TrustKeyList};
use ntpkit_fuzz::{for_each_item_type, take_u16};

fuzz_target!(|data: &[u8]| {
    let (odd_size, bytes) = take_u16(data);
    macro_rules! round_trip {
        ($ty:ty) => {
            let odd_size = usize::from(odd_size);
            if !<$ty>::SIZES.contains(&odd_size) {
                assert!(<$ty>::decode(bytes, odd_size).is_err());
            }
            for &size in <$ty>::SIZES {
                if let Ok(item) = <$ty>::decode(bytes, size) {
                    let encoded = item.encode(size).unwrap_or_else(|err| {
                        panic!(
                            "{} decoded at {size} does not encode: {err}",
                            stringify!($ty)
                        )
                    });
                    assert_eq!(encoded.len(), size);
                    let again = <$ty>::decode(&encoded, size).expect("an encoded item decodes");
                    assert_eq!(again, item, "{} at {size}", stringify!($ty));
                    assert_eq!(again.encode(size).ok(), Some(encoded));
                }
            }
        };
    }
    for_each_item_type!(round_trip);

    let nitems = bytes.len() / 4;
    if let Ok(list) = TrustKeyList::from_request_data(bytes, nitems) {
        assert_eq!(list.keys.len(), nitems);
        for long in [ServerLong::Lp64, ServerLong::Ilp32] {
            if let Ok(request) = list.request(Implementation::Xntpd, RequestCode::TrustKey, long) {
                let back = TrustKeyList::from_request_data(&request.items, nitems);
                assert_eq!(back.as_ref(), Ok(&list));
            }
        }
    }
});
