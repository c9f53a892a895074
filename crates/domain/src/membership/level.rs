//! 会员级别: level values (higher is better), upgrade thresholds, and the points multiplier, an
//! exact decimal with two places kept as hundredths.

use crate::FieldError;
use std::fmt;

/// A points multiplier from 0.01 to 100.00, as hundredths (`150` is 1.5x).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Multiplier(i32);

impl Multiplier {
    pub const ONE: Multiplier = Multiplier(100);

    /// `"1.5"`, `"1.50"`, `"2"`: at most two decimal places, 0.01 to 100.
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new(field, "multiplier_invalid");
        let s = s.trim();
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if s.ends_with('.')
            || whole.is_empty()
            || whole.len() > 3
            || frac.len() > 2
            || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i32 = whole.parse().map_err(|_| bad())?;
        let frac: i32 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
        let v = whole * 100 + frac;
        if !(1..=10_000).contains(&v) {
            return Err(FieldError::new(field, "range").with("min", "0.01").with("max", "100"));
        }
        Ok(Self(v))
    }

    /// From a stored value.
    pub fn from_hundredths(v: i32) -> Self {
        Self(v)
    }

    pub fn hundredths(self) -> i32 {
        self.0
    }

    /// `points x multiplier`, rounded down (points are whole).
    pub fn apply(self, points: i64) -> i64 {
        points.saturating_mul(i64::from(self.0)).div_euclid(100)
    }
}

impl fmt::Display for Multiplier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// Sent as its decimal string with two places (`"1.50"`).
impl serde::Serialize for Multiplier {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Multiplier {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("A points multiplier, two decimal places (`\"1.50\"` is 1.5x)."))
            .examples([serde_json::json!("1.50")])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Multiplier {}

/// A level's definition (会员级别): its name, value (higher is better), the upgrade points that
/// reach it, the points multiplier and the benefits text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelSpec {
    pub name: String,
    pub level_value: i32,
    pub upgrade_points: i64,
    pub multiplier: Multiplier,
    pub benefits: Option<String>,
}

/// A change of a level: absent fields stay; `benefits: Some(None)` clears.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LevelPatch {
    pub name: Option<String>,
    pub level_value: Option<i32>,
    pub upgrade_points: Option<i64>,
    pub multiplier: Option<Multiplier>,
    pub benefits: Option<Option<String>>,
}

impl LevelPatch {
    pub fn apply(self, to: &mut LevelSpec) {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { to.$f = v; } )* };
        }
        set!(name, level_value, upgrade_points, multiplier, benefits);
    }
}

/// A level's name: 1 to 100 characters.
pub fn parse_level_name(field: &str, raw: &str) -> Result<String, FieldError> {
    crate::identity::org::parse_name_within(field, raw, crate::limits::MEMBER_LEVEL_NAME)
}

/// A level's benefits text: up to 2000 characters, blank is none.
pub fn parse_benefits(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    crate::customers::customer::parse_text(field, raw, 2000)
}

/// A level value: 0 to 1,000,000; higher is better.
pub fn parse_level_value(field: &str, v: i64) -> Result<i32, FieldError> {
    i32::try_from(v)
        .ok()
        .filter(|v| (0..=1_000_000).contains(v))
        .ok_or_else(|| FieldError::new(field, "range").with("min", 0).with("max", 1_000_000))
}

/// Upgrade points that reach a level: 0 to 10^12.
pub fn parse_upgrade_points(field: &str, v: i64) -> Result<i64, FieldError> {
    (0..=1_000_000_000_000)
        .contains(&v)
        .then_some(v)
        .ok_or_else(|| FieldError::new(field, "range").with("min", 0).with("max", 1_000_000_000_000_i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipliers_are_exact() {
        let m = |s: &str| Multiplier::parse("/m", s).map(|m| m.to_string());
        assert_eq!(m("1.5").as_deref(), Ok("1.50"));
        assert_eq!(m("2").as_deref(), Ok("2.00"));
        assert_eq!(m("0.05").as_deref(), Ok("0.05"));
        assert_eq!(m("100").as_deref(), Ok("100.00"));
        for bad in ["", "1.555", "-1", "abc", "1e3", ".5", "1.", "0", "100.01"] {
            assert!(Multiplier::parse("/m", bad).is_err(), "{bad}");
        }
        assert_eq!(Multiplier::parse("/m", "1.5").unwrap().apply(333), 499);
        assert_eq!(Multiplier::ONE.apply(7), 7);
    }
}

/// A level as the upgrade rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelStep<Id> {
    pub id: Id,
    pub level_value: i32,
    pub upgrade_points: i64,
}

/// 升级: the level `points` upgrade points reach, if it is above `current_value` (levels never
/// go down automatically). The highest level whose threshold is met wins.
pub fn upgrade_for<Id: Copy>(levels: &[LevelStep<Id>], current_value: Option<i32>, points: i64) -> Option<Id> {
    levels
        .iter()
        .filter(|l| l.upgrade_points <= points)
        .max_by_key(|l| l.level_value)
        .filter(|l| current_value.is_none_or(|c| l.level_value > c))
        .map(|l| l.id)
}

/// After upgrade points were reversed: the level `points` still reach, if it is below
/// `current_value` (where the tenant lets reversals demote). Points below every threshold keep
/// the current level: a member is never left without one by a reversal.
pub fn downgrade_for<Id: Copy>(levels: &[LevelStep<Id>], current_value: Option<i32>, points: i64) -> Option<Id> {
    let current = current_value?;
    levels
        .iter()
        .filter(|l| l.upgrade_points <= points)
        .max_by_key(|l| l.level_value)
        .filter(|l| l.level_value < current)
        .map(|l| l.id)
}

#[cfg(test)]
mod upgrade_tests {
    use super::*;

    #[test]
    fn upgrades_go_to_the_highest_level_reached_and_never_down() {
        let levels = [
            LevelStep { id: 'a', level_value: 1, upgrade_points: 0 },
            LevelStep { id: 'b', level_value: 2, upgrade_points: 1000 },
            LevelStep { id: 'c', level_value: 3, upgrade_points: 5000 },
        ];
        assert_eq!(upgrade_for(&levels, Some(1), 999), None);
        assert_eq!(upgrade_for(&levels, Some(1), 1000), Some('b'));
        assert_eq!(upgrade_for(&levels, Some(1), 9000), Some('c'));
        assert_eq!(upgrade_for(&levels, Some(3), 1000), None, "a manual higher level stays");
        assert_eq!(upgrade_for(&levels, None, 0), Some('a'));
        assert_eq!(downgrade_for(&levels, Some(3), 4999), Some('b'));
        assert_eq!(downgrade_for(&levels, Some(3), 5000), None);
        assert_eq!(downgrade_for(&levels, Some(2), 0), Some('a'));
        assert_eq!(downgrade_for(&levels, None, 0), None);
    }
}
