//! Crate-internal macros: string-valued enumerations that parse themselves.

/// An enum whose variants are stored and sent as fixed strings, with `as_str`, `parse` (an
/// unknown string is an `invalid_value` error on the named field, listing the allowed values) and
/// `ALL_VALUES`. It (de)serializes as its string (an unknown one names the allowed values), and
/// with the `openapi` feature its schema is a string enum.
macro_rules! str_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vattr:meta])* $variant:ident => $s:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vattr])* $variant),* }

        impl $name {
            pub const ALL_VALUES: &'static [$name] = &[$($name::$variant),*];
            /// The allowed strings, in declaration order.
            pub const STRINGS: &'static [&'static str] = &[$($s),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),* }
            }

            pub fn parse(field: &str, s: &str) -> Result<Self, $crate::FieldError> {
                match s {
                    $($s => Ok($name::$variant),)*
                    _ => Err($crate::FieldError::new(field, "invalid_value").with("allowed", Self::STRINGS.join(", "))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                match &*s {
                    $($s => Ok($name::$variant),)*
                    other => Err(<D::Error as serde::de::Error>::unknown_variant(other, Self::STRINGS)),
                }
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::STRINGS.iter().copied()))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

pub(crate) use str_enum;
