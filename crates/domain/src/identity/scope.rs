//! Data scopes: how much of a tenant's owned records a position sees.

crate::macros::str_enum!(
    /// How much of a tenant's owned records a position sees. Ordered from narrowest to widest; a
    /// user with several positions gets the widest.
    DataScope {
        /// Records the user owns.
        SelfOnly => "self",
        /// Records owned by users of the user's own org unit.
        Team => "team",
        /// The user's org unit and every unit below it.
        Department => "department",
        /// The nearest enclosing unit of kind `company`, and everything below it.
        Company => "company",
        /// The whole tenant.
        All => "all",
    }
);

impl DataScope {
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
            assert_eq!(DataScope::parse("/s", v.as_str()), Ok(*v));
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
