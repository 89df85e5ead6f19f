//! The body of every list endpoint: `{items: [...]}`.

use serde::Serialize;
use utoipa::ToSchema;

/// `{items: [...]}`.
#[derive(Serialize, ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

impl<T> Items<T> {
    pub fn of(items: impl IntoIterator<Item = T>) -> Self {
        Items {
            items: items.into_iter().collect(),
        }
    }
}
