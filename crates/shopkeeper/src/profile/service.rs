//! Service contacts and complaints, and consent.

use serde::{Deserialize, Serialize};

use super::identity::{decode, max_option};
use crate::check;
use crate::{ConsentPurpose, Error, Timestamp};

/// Contacts with customer service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Service {
    /// Service contacts (complaints not included).
    pub contacts: u32,
    /// Complaints.
    pub complaints: u32,
    /// Latest service contact.
    pub last_contact: Option<Timestamp>,
    /// Latest complaint.
    pub last_complaint: Option<Timestamp>,
}

impl Service {
    pub(crate) fn contact(&mut self, at: Timestamp) {
        self.contacts = self.contacts.saturating_add(1);
        self.last_contact = max_option(self.last_contact, Some(at));
    }

    pub(crate) fn complaint(&mut self, at: Timestamp) {
        self.complaints = self.complaints.saturating_add(1);
        self.last_complaint = max_option(self.last_complaint, Some(at));
    }

    pub(crate) fn check_invariants(&self) -> Result<(), Error> {
        check::optional_timestamp("last_contact", self.last_contact).map_err(decode)?;
        check::optional_timestamp("last_complaint", self.last_complaint).map_err(decode)
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        self.contacts = self.contacts.saturating_add(other.contacts);
        self.complaints = self.complaints.saturating_add(other.complaints);
        self.last_contact = max_option(self.last_contact, other.last_contact);
        self.last_complaint = max_option(self.last_complaint, other.last_complaint);
    }
}

/// A consent decision and when it was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentState {
    /// When the customer decided.
    pub at: Timestamp,
    /// Granted or withdrawn.
    pub granted: bool,
}

impl ConsentState {
    /// The latest decision wins; in a tie, withdrawal wins (the privacy-safe choice).
    fn supersedes(&self, other: &ConsentState) -> bool {
        (self.at, !self.granted) > (other.at, !other.granted)
    }
}

/// The customer's consent decisions. No decision means the shop's default applies: personalization
/// is on until the customer objects; marketing is unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Consent {
    /// Personalization; withdrawn means the customer objects.
    pub personalization: Option<ConsentState>,
    /// Marketing messages.
    pub marketing: Option<ConsentState>,
}

impl Consent {
    /// Whether the customer objects to personalization (withdrew it).
    pub fn objects_to_personalization(&self) -> bool {
        self.personalization.is_some_and(|state| !state.granted)
    }

    fn slot(&mut self, purpose: ConsentPurpose) -> &mut Option<ConsentState> {
        match purpose {
            ConsentPurpose::Personalization => &mut self.personalization,
            ConsentPurpose::Marketing => &mut self.marketing,
        }
    }

    fn get(&self, purpose: ConsentPurpose) -> Option<ConsentState> {
        match purpose {
            ConsentPurpose::Personalization => self.personalization,
            ConsentPurpose::Marketing => self.marketing,
        }
    }

    /// Whether `state` would replace the decision held (none held, or it is later).
    pub(crate) fn accepts(&self, purpose: ConsentPurpose, state: &ConsentState) -> bool {
        self.get(purpose).is_none_or(|held| state.supersedes(&held))
    }

    /// Records a decision unless a later one is held.
    pub(crate) fn record(&mut self, purpose: ConsentPurpose, state: ConsentState) {
        if self.accepts(purpose, &state) {
            *self.slot(purpose) = Some(state);
        }
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        for (purpose, theirs) in [
            (ConsentPurpose::Personalization, other.personalization),
            (ConsentPurpose::Marketing, other.marketing),
        ] {
            if let Some(state) = theirs {
                self.record(purpose, state);
            }
        }
    }

    pub(crate) fn check_invariants(&self) -> Result<(), Error> {
        for state in [self.personalization, self.marketing].into_iter().flatten() {
            check::timestamp("consent time", state.at).map_err(decode)?;
        }
        Ok(())
    }
}
