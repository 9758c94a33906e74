//! The built-in paths a rule can read (`customer.orders`, `cart.value`, `customer.p_alive`...):
//! each one's name, type and reader. `spec/rules.md` documents every path; this is where a
//! built-in path gets its value.

use alloc::string::String;
use alloc::vec::Vec;

use super::features::Input;
use super::schema::Type;
use crate::profile::{marked_names, Cart, Conversation, Owned, Profile, Purchases, Session, Views};
use crate::score::Scores;
use crate::{Channel, Timestamp};

/// A list the rule reads, without copying it out of the profile.
#[derive(Clone, Copy)]
pub(crate) enum ListRef<'a> {
    Strings(&'a [String]),
    CartProducts(&'a Cart),
    CartCategories(&'a Cart),
    ViewedProducts(&'a Views),
    ViewedCategories(&'a Views),
    PurchasedCategories(&'a Purchases),
    OwnedProducts(&'a Owned),
    /// The new categories of the session, marked among the profile's views and cart lines.
    NewCategories(&'a Profile, u32, u64),
    /// The names of `OUT_OF_PATTERN` marked.
    OutOfPattern(u8),
    /// The intents of the recent messages at or after a time.
    Intents(&'a Conversation, Timestamp),
}

impl<'a> ListRef<'a> {
    /// Calls `f` on each item (profile-derived lists may repeat an item).
    pub(crate) fn any(self, mut f: impl FnMut(&str) -> bool) -> bool {
        match self {
            ListRef::Strings(items) => items.iter().any(|s| f(s)),
            ListRef::CartProducts(cart) => cart.lines.keys().any(|s| f(s)),
            ListRef::CartCategories(cart) => cart
                .lines
                .values()
                .filter_map(|l| l.category.as_deref())
                .any(f),
            ListRef::ViewedProducts(views) => views.recent.iter().any(|v| f(&v.product)),
            ListRef::ViewedCategories(views) => views
                .recent
                .iter()
                .filter_map(|v| v.category.as_deref())
                .any(f),
            ListRef::PurchasedCategories(purchases) => purchases.categories.keys().any(|s| f(s)),
            ListRef::OwnedProducts(owned) => owned.products.keys().any(|s| f(s)),
            ListRef::NewCategories(profile, views, lines) => {
                profile.marked_categories(views, lines).any(f)
            }
            ListRef::OutOfPattern(marks) => marked_names(marks).any(f),
            ListRef::Intents(conversation, since) => conversation
                .intents
                .iter()
                .filter(|seen| seen.at >= since)
                .any(|seen| f(&seen.intent)),
        }
    }

    /// Distinct items (an item counts where no earlier one equals it; lists are short).
    pub(crate) fn len(self) -> usize {
        let (mut count, mut index) = (0, 0);
        self.any(|item| {
            let (mut earlier, mut repeated) = (0, false);
            self.any(|other| {
                if earlier == index {
                    return true;
                }
                earlier += 1;
                repeated = other == item;
                repeated
            });
            count += usize::from(!repeated);
            index += 1;
            false
        });
        count
    }

    pub(crate) fn to_vec(self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        self.any(|item| {
            if !out.iter().any(|o| o == item) {
                out.push(item.into());
            }
            false
        });
        out
    }
}

/// A built-in path's typed reader.
#[derive(Clone, Copy)]
pub(crate) enum Getter {
    Bool(fn(&Input<'_>) -> Option<bool>),
    /// Numbers, timestamps and durations as numbers of seconds.
    Number(fn(&Input<'_>) -> Option<f64>),
    /// Money in minor units, shown to rules in major units.
    Money(fn(&Input<'_>) -> Option<f64>),
    Str(for<'a> fn(&Input<'a>) -> Option<&'a str>),
    List(for<'a> fn(&Input<'a>) -> Option<ListRef<'a>>),
}

fn ts(t: Option<Timestamp>) -> Option<f64> {
    t.map(|t| t as f64)
}

macro_rules! channel_paths {
    ($($channel:ident => $name:literal),*) => {
        &[$(
            (concat!("customer.channels.", $name, ".orders"), Type::Number,
                Getter::Number(|i| Some(f64::from(i.profile.activity().channel(Channel::$channel).purchases)))),
            (concat!("customer.channels.", $name, ".spend"), Type::Number,
                Getter::Money(|i| Some(i.profile.activity().channel(Channel::$channel).spend as f64))),
            (concat!("customer.channels.", $name, ".sessions"), Type::Number,
                Getter::Number(|i| Some(f64::from(i.profile.activity().channel(Channel::$channel).sessions)))),
            (concat!("customer.channels.", $name, ".last_seen"), Type::Timestamp,
                Getter::Number(|i| ts(i.profile.activity().channel(Channel::$channel).last_seen))),
        )*]
    };
}

/// Every built-in path with its type and reader. `spec/rules.md` documents each one.
pub(crate) const BUILTINS: &[(&str, Type, Getter)] = &[
    (
        "now",
        Type::Timestamp,
        Getter::Number(|i| Some(i.now as f64)),
    ),
    (
        "customer.id",
        Type::String,
        Getter::Str(|i| Some(i.profile.id())),
    ),
    (
        "customer.known",
        Type::Bool,
        Getter::Bool(|i| Some(i.profile.is_known())),
    ),
    (
        "customer.first_seen",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.activity().first_seen)),
    ),
    (
        "customer.last_seen",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.activity().last_seen)),
    ),
    (
        "customer.orders",
        Type::Number,
        Getter::Number(|i| Some(f64::from(i.profile.purchases().count))),
    ),
    (
        "customer.spend",
        Type::Number,
        Getter::Money(|i| Some(i.profile.purchases().total as f64)),
    ),
    (
        "customer.avg_order_value",
        Type::Number,
        Getter::Money(|i| i.profile.purchases().average()),
    ),
    (
        "customer.first_purchase",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.purchases().first.as_ref().map(|o| o.at))),
    ),
    (
        "customer.last_purchase",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.purchases().last_at)),
    ),
    (
        "customer.purchased_categories",
        Type::List,
        Getter::List(|i| Some(ListRef::PurchasedCategories(i.profile.purchases()))),
    ),
    (
        "customer.owned_products",
        Type::List,
        Getter::List(|i| Some(ListRef::OwnedProducts(i.profile.owned()))),
    ),
    (
        "customer.purchase_gap",
        Type::Duration,
        Getter::Number(|i| i.profile.purchase_gap(i.now)),
    ),
    (
        "customer.overdue",
        Type::Number,
        Getter::Number(|i| i.profile.overdue(i.now)),
    ),
    (
        "customer.out_of_pattern",
        Type::List,
        Getter::List(|i| Some(ListRef::OutOfPattern(i.profile.out_of_pattern_marks(i.now)))),
    ),
    (
        "customer.first_channel",
        Type::String,
        Getter::Str(|i| first_session(i).map(|s| s.channel.as_str())),
    ),
    (
        "customer.first_referrer",
        Type::String,
        Getter::Str(|i| first_session(i).and_then(|s| s.referrer.as_deref())),
    ),
    (
        "customer.first_affiliate",
        Type::String,
        Getter::Str(|i| first_session(i).and_then(|s| s.affiliate.as_deref())),
    ),
    (
        "customer.views",
        Type::Number,
        Getter::Number(|i| Some(i.profile.views().total as f64)),
    ),
    (
        "customer.viewed_products",
        Type::List,
        Getter::List(|i| Some(ListRef::ViewedProducts(i.profile.views()))),
    ),
    (
        "customer.viewed_categories",
        Type::List,
        Getter::List(|i| Some(ListRef::ViewedCategories(i.profile.views()))),
    ),
    (
        "customer.complaints",
        Type::Number,
        Getter::Number(|i| Some(f64::from(i.profile.service().complaints))),
    ),
    (
        "customer.service_contacts",
        Type::Number,
        Getter::Number(|i| Some(f64::from(i.profile.service().contacts))),
    ),
    (
        "customer.last_complaint",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.service().last_complaint)),
    ),
    (
        "customer.last_service_contact",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.service().last_contact)),
    ),
    (
        "customer.marketing_consent",
        Type::Bool,
        Getter::Bool(|i| i.profile.consent().marketing.map(|c| c.granted)),
    ),
    (
        "customer.messages",
        Type::Number,
        Getter::Number(|i| Some(f64::from(i.profile.conversation().inbound))),
    ),
    (
        "customer.negative_messages",
        Type::Number,
        Getter::Number(|i| Some(f64::from(i.profile.conversation().negative))),
    ),
    (
        "customer.sentiment",
        Type::Number,
        Getter::Number(|i| i.profile.conversation().sentiment(i.now)),
    ),
    (
        "customer.intents",
        Type::List,
        Getter::List(|i| Some(ListRef::Intents(i.profile.conversation(), i64::MIN))),
    ),
    (
        "customer.last_message",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.conversation().last_inbound)),
    ),
    (
        "customer.unanswered_since",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.conversation().unanswered_since())),
    ),
    (
        "cart.value",
        Type::Number,
        Getter::Money(|i| Some(i.profile.cart().value() as f64)),
    ),
    (
        "cart.quantity",
        Type::Number,
        Getter::Number(|i| Some(i.profile.cart().quantity() as f64)),
    ),
    (
        "cart.lines",
        Type::Number,
        Getter::Number(|i| Some(i.profile.cart().lines.len() as f64)),
    ),
    (
        "cart.products",
        Type::List,
        Getter::List(|i| Some(ListRef::CartProducts(i.profile.cart()))),
    ),
    (
        "cart.categories",
        Type::List,
        Getter::List(|i| Some(ListRef::CartCategories(i.profile.cart()))),
    ),
    (
        "cart.value_vs_usual",
        Type::Number,
        Getter::Number(|i| i.profile.cart_vs_usual()),
    ),
    (
        "session.channel",
        Type::String,
        Getter::Str(|i| i.profile.session().map(|s| s.channel.as_str())),
    ),
    (
        "session.referrer",
        Type::String,
        Getter::Str(|i| i.profile.session().and_then(|s| s.referrer.as_deref())),
    ),
    (
        "session.affiliate",
        Type::String,
        Getter::Str(|i| i.profile.session().and_then(|s| s.affiliate.as_deref())),
    ),
    (
        "session.start",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.session().map(|s| s.start))),
    ),
    (
        "session.page_views",
        Type::Number,
        Getter::Number(|i| i.profile.session().map(|s| f64::from(s.page_views))),
    ),
    (
        "session.sentiment",
        Type::Number,
        Getter::Number(|i| {
            let start = i.profile.session()?.start;
            i.profile.conversation().sentiment_since(start)
        }),
    ),
    (
        "session.intents",
        Type::List,
        Getter::List(|i| {
            let start = i.profile.session()?.start;
            Some(ListRef::Intents(i.profile.conversation(), start))
        }),
    ),
    (
        "session.first_on_channel",
        Type::Bool,
        Getter::Bool(|i| i.profile.first_on_channel()),
    ),
    (
        "session.new_categories",
        Type::List,
        Getter::List(|i| {
            let (views, lines) = i.profile.new_category_marks();
            Some(ListRef::NewCategories(i.profile, views, lines))
        }),
    ),
    (
        "session.unusual_hour",
        Type::Bool,
        Getter::Bool(|i| i.profile.unusual_hour()),
    ),
    (
        "session.time_on_site",
        Type::Duration,
        Getter::Number(|i| ts(i.profile.session().map(|s| s.time_on_site()))),
    ),
];

/// The customer's first session (spec/events.md, "Habits").
fn first_session<'a>(i: &Input<'a>) -> Option<&'a Session> {
    i.profile.first_session()
}

fn score<T>(i: &Input<'_>, get: impl Fn(&Scores) -> Option<T>) -> Option<T> {
    i.scores.and_then(get)
}

/// The score paths: [`Scores`] of the request, in the models' units (money in major units).
pub(crate) const SCORE_PATHS: &[(&str, Type, Getter)] = &[
    (
        "customer.p_alive",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.p_alive)),
    ),
    (
        "customer.churn_risk",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.churn_risk)),
    ),
    (
        "customer.expected_purchases_90d",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.expected_purchases_90d)),
    ),
    (
        "customer.expected_spend",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.expected_spend)),
    ),
    (
        "customer.clv",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.clv)),
    ),
    (
        "customer.rfm.r",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.rfm.map(|r| f64::from(r.r)))),
    ),
    (
        "customer.rfm.f",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.rfm.map(|r| f64::from(r.f)))),
    ),
    (
        "customer.rfm.m",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.rfm.map(|r| f64::from(r.m)))),
    ),
    (
        "customer.rfm.segment",
        Type::String,
        Getter::Str(|i| i.scores.and_then(|s| s.rfm).map(|r| r.segment().name())),
    ),
    (
        "cart.cross_sell",
        Type::List,
        Getter::List(|i| i.scores.map(|s| ListRef::Strings(&s.cross_sell))),
    ),
    (
        "customer.cross_sell",
        Type::List,
        Getter::List(|i| i.scores.map(|s| ListRef::Strings(&s.customer_cross_sell))),
    ),
    (
        "cohort.source",
        Type::String,
        Getter::Str(|i| i.scores?.cohort.as_ref().map(|c| c.source.as_str())),
    ),
    (
        "cohort.customers",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.cohort.as_ref()?.customers.map(|n| n as f64))),
    ),
    (
        "cohort.repeat_rate",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.cohort.as_ref()?.repeat_rate)),
    ),
    (
        "cohort.aov",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.cohort.as_ref()?.aov)),
    ),
    (
        "cohort.clv",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.cohort.as_ref()?.clv)),
    ),
    (
        "cohort.visitors",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.cohort.as_ref()?.visitors.map(|n| n as f64))),
    ),
    (
        "cohort.conversion",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.cohort.as_ref()?.conversion)),
    ),
    (
        "cart.cross_sell_categories",
        Type::List,
        Getter::List(|i| i.scores.map(|s| ListRef::Strings(&s.cross_sell_categories))),
    ),
    (
        "cart.cross_sell_score",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.cross_sell_score)),
    ),
];

pub(crate) const CHANNEL_PATHS: &[(&str, Type, Getter)] = channel_paths!(
    Web => "web", Mobile => "mobile", Store => "store", ContactCentre => "contact_centre", Email => "email", Kiosk => "kiosk",
    Chat => "chat", Social => "social"
);

/// Whether `path` is a score path (`customer.p_alive`, `cart.cross_sell`...): read only when the
/// request's [`Input::scores`] are computed.
pub(crate) fn is_score_path(path: &str) -> bool {
    SCORE_PATHS.iter().any(|(name, _, _)| *name == path)
}
