//! Reading schema-1 bytes (before messages and the chat and social channels): the binary form is
//! positional, so version 1 has its own layout, which becomes today's profile with an empty
//! conversation, no chat or social activity, no owned products and no habits. Nothing a stored profile held is lost.

use serde::Deserialize;

use super::{
    Activity, Attributes, Cart, ChannelActivity, Consent, Conversation, Habits, Identity, Offers,
    Owned, PerChannel, Purchases, Service, Session, Views,
};
use crate::Timestamp;

#[derive(Deserialize)]
pub(super) struct Unchecked {
    identity: Identity,
    activity: ActivityV1,
    session: Option<Session>,
    views: Views,
    cart: Cart,
    purchases: Purchases,
    offers: Offers,
    service: Service,
    consent: Consent,
    attributes: Attributes,
}

#[derive(Deserialize)]
struct ActivityV1 {
    first_seen: Option<Timestamp>,
    last_seen: Option<Timestamp>,
    channels: PerChannelV1,
}

#[derive(Deserialize)]
struct PerChannelV1 {
    web: ChannelActivity,
    mobile: ChannelActivity,
    store: ChannelActivity,
    contact_centre: ChannelActivity,
    email: ChannelActivity,
    kiosk: ChannelActivity,
}

impl From<Unchecked> for super::Unchecked {
    fn from(v1: Unchecked) -> Self {
        let c = v1.activity.channels;
        super::Unchecked {
            identity: v1.identity,
            activity: Activity {
                first_seen: v1.activity.first_seen,
                last_seen: v1.activity.last_seen,
                channels: PerChannel {
                    web: c.web,
                    mobile: c.mobile,
                    store: c.store,
                    contact_centre: c.contact_centre,
                    email: c.email,
                    kiosk: c.kiosk,
                    chat: ChannelActivity::default(),
                    social: ChannelActivity::default(),
                },
            },
            session: v1.session,
            views: v1.views,
            cart: v1.cart,
            purchases: v1.purchases,
            offers: v1.offers,
            service: v1.service,
            consent: v1.consent,
            attributes: v1.attributes,
            conversation: Conversation::default(),
            owned: Owned::default(),
            habits: Habits::default(),
        }
    }
}
