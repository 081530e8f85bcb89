//! Errors building a cluster or planning a round.

use core::fmt;

/// Errors building a cluster or planning a round.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlacementError {
    /// Two nodes share an id.
    DuplicateNode(String),
    /// Two requests name the same app.
    DuplicateApp(String),
}

impl fmt::Display for PlacementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlacementError::DuplicateNode(id) => write!(f, "two nodes have the id {id}"),
            PlacementError::DuplicateApp(app) => write!(f, "two requests name the app {app}"),
        }
    }
}

impl std::error::Error for PlacementError {}
