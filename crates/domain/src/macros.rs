//! Crate-internal macros: string-valued enumerations that parse themselves.

/// An enum whose variants are stored and sent as fixed strings, with `as_str`, `parse` (an
/// unknown string is an `invalid_value` error on the named field) and `ALL_VALUES`.
macro_rules! str_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vattr:meta])* $variant:ident => $s:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vattr])* $variant),* }

        impl $name {
            pub const ALL_VALUES: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),* }
            }

            pub fn parse(field: &str, s: &str) -> Result<Self, $crate::FieldError> {
                match s { $($s => Ok($name::$variant),)* _ => Err($crate::FieldError::new(field, "invalid_value")) }
            }
        }
    };
}

pub(crate) use str_enum;
