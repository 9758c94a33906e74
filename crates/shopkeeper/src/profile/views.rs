//! Recently viewed products.

use alloc::string::String;
use serde::{Deserialize, Serialize};

use super::identity::decode;
use crate::check;
use crate::limits::{MAX_ID_LEN, MAX_NAME_LEN, MAX_RECENT_VIEWS};
use crate::{BoundedVec, Error, Timestamp};

/// A product view. Ordered by time first, so the newest are kept.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProductView {
    /// When.
    pub at: Timestamp,
    /// Product id.
    pub product: String,
    /// Product category.
    pub category: Option<String>,
}

/// Product views: a count and the newest few. A late view is placed by its time, and dropped if
/// older than every view kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Views {
    /// Product views recorded.
    pub total: u64,
    /// The newest views, oldest first.
    pub recent: BoundedVec<ProductView, MAX_RECENT_VIEWS>,
}

impl Views {
    /// Views of products in `category` among the recent ones.
    pub fn recent_in_category(&self, category: &str) -> usize {
        self.recent
            .iter()
            .filter(|view| view.category.as_deref() == Some(category))
            .count()
    }

    pub(crate) fn record(&mut self, at: Timestamp, product: &str, category: Option<&str>) {
        self.total = self.total.saturating_add(1);
        self.recent.insert_keep_newest(ProductView {
            at,
            product: product.into(),
            category: category.map(String::from),
        });
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        self.total = self.total.saturating_add(other.total);
        self.recent.merge_keep_newest(&other.recent);
    }

    pub(crate) fn check_invariants(&self) -> Result<(), Error> {
        check::invariant(self.recent.is_strictly_sorted(), "recent views sorted")?;
        check::invariant(
            self.recent.len() as u64 <= self.total,
            "recent views counted",
        )?;
        for view in self.recent.iter() {
            check::timestamp("view time", view.at).map_err(decode)?;
            check::id("viewed product", &view.product, MAX_ID_LEN).map_err(decode)?;
            check::optional_id("viewed category", view.category.as_deref(), MAX_NAME_LEN)
                .map_err(decode)?;
        }
        Ok(())
    }
}
