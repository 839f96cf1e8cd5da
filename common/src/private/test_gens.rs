//! proptest strategies for mode 7 values.

use proptest::prelude::*;

use super::items::PrivateItem;
use super::{Implementation, PrivateResponse, RequestCode};

/// Any item reachable from the wire: `T::SIZE` random octets, decoded.
pub(crate) fn item_any<T: PrivateItem + std::fmt::Debug>() -> impl Strategy<Value = T> {
    item_with(T::SIZE)
}

/// Any item that fits `size` octets: random octets of that size, decoded (so v4 sizes give
/// IPv4 items and shorter layouts zero in their missing fields).
pub(crate) fn item_with<T: PrivateItem + std::fmt::Debug>(size: usize) -> impl Strategy<Value = T> {
    proptest::collection::vec(any::<u8>(), size)
        .prop_filter_map("decodes", move |bytes| T::decode(&bytes, size).ok())
}

/// A response for `REQ_PEER_LIST_SUM` with 0..40 items of a random size.
pub(crate) fn response_any() -> impl Strategy<Value = PrivateResponse> {
    (1_u16..=200, 0_usize..40).prop_flat_map(|(itemsize, nitems)| {
        proptest::collection::vec(any::<u8>(), nitems * usize::from(itemsize)).prop_map(
            move |items| PrivateResponse {
                implementation: Implementation::Xntpd,
                code: RequestCode::PeerListSum,
                itemsize,
                nitems,
                items,
            },
        )
    })
}
