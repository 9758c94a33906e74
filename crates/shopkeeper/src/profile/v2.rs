//! Reading schema-2 bytes (before owned products and habits): the binary form is positional, so
//! version 2 has its own layout, which becomes today's profile with no owned products and no
//! habits (purchases and sessions before the upgrade keep their counts, categories and times).

use serde::Deserialize;

use super::{
    Activity, Attributes, Cart, Consent, Conversation, Habits, Identity, Offers, Owned, Purchases,
    Service, Session, Views,
};

#[derive(Deserialize)]
pub(super) struct Unchecked {
    identity: Identity,
    activity: Activity,
    session: Option<Session>,
    views: Views,
    cart: Cart,
    purchases: Purchases,
    offers: Offers,
    service: Service,
    consent: Consent,
    attributes: Attributes,
    conversation: Conversation,
}

impl From<Unchecked> for super::Unchecked {
    fn from(v2: Unchecked) -> Self {
        super::Unchecked {
            identity: v2.identity,
            activity: v2.activity,
            session: v2.session,
            views: v2.views,
            cart: v2.cart,
            purchases: v2.purchases,
            offers: v2.offers,
            service: v2.service,
            consent: v2.consent,
            attributes: v2.attributes,
            conversation: v2.conversation,
            owned: Owned::default(),
            habits: Habits::default(),
        }
    }
}
