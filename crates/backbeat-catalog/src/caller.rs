//! Who is asking: the authenticated user and their role, as every use case receives it.

use backbeat_store::{Id, Role};

use crate::error::{CatalogError, CatalogResult};

/// The authenticated caller of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Id,
    pub role: Role,
}

impl Caller {
    /// `true` for admins.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// `Forbidden` unless the caller is an admin.
    pub fn require_admin(&self) -> CatalogResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(CatalogError::Forbidden)
        }
    }
}
