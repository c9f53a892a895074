//! Data scopes: how much of a tenant's owned records a position sees.

use crate::FieldError;

/// Ordered from narrowest to widest; a user with several positions gets the widest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DataScope {
    /// Records the user owns.
    SelfOnly,
    /// Records owned by users of the user's own org unit.
    Team,
    /// The user's org unit and every unit below it.
    Department,
    /// The nearest enclosing unit of kind `company`, and everything below it.
    Company,
    /// The whole tenant.
    All,
}

impl DataScope {
    pub const ALL_VALUES: [DataScope; 5] =
        [DataScope::SelfOnly, DataScope::Team, DataScope::Department, DataScope::Company, DataScope::All];

    pub fn as_str(self) -> &'static str {
        match self {
            DataScope::SelfOnly => "self",
            DataScope::Team => "team",
            DataScope::Department => "department",
            DataScope::Company => "company",
            DataScope::All => "all",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        Self::ALL_VALUES.into_iter().find(|v| v.as_str() == s).ok_or_else(|| FieldError::new(field, "invalid_value"))
    }

    /// Whether setting a scope to `self` hands out more than a granter holding `granter` may:
    /// wider than the granter's, unless it is no wider than the `current` one (keeping or
    /// narrowing never widens).
    pub fn exceeds(self, granter: DataScope, current: Option<DataScope>) -> bool {
        self > granter && current.is_none_or(|c| self > c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widest_wins_and_names_round_trip() {
        assert_eq!([DataScope::Team, DataScope::All, DataScope::SelfOnly].into_iter().max(), Some(DataScope::All));
        for v in DataScope::ALL_VALUES {
            assert_eq!(DataScope::parse("/s", v.as_str()), Ok(v));
        }
        assert!(DataScope::parse("/s", "everything").is_err());
    }

    #[test]
    fn a_granter_widens_no_scope_beyond_its_own() {
        use DataScope::*;
        assert!(!Team.exceeds(Department, None));
        assert!(!Department.exceeds(Department, None));
        assert!(All.exceeds(Department, None));
        assert!(All.exceeds(Department, Some(Company)));
        // Narrowing a wide scope, or keeping it, is not widening.
        assert!(!Company.exceeds(Team, Some(All)));
        assert!(!All.exceeds(Team, Some(All)));
    }
}
