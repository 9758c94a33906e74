//! One table per family of stable codes (errors, rule diagnostics, catalog problems).
//!
//! A code's number, its snake_case name and its description are written once, in the
//! `stable_codes!` invocation that defines the enum; `ALL`, `as_str`, `number`, `from_number`,
//! `from_name` and `description` are generated from it. The bindings read these tables (the C
//! header's `SK_RESULT_` constants are generated from [`ErrorCode::ALL`](crate::ErrorCode::ALL),
//! the TypeScript union is checked against it), so a new code is added in exactly one place.

/// Defines a `#[repr(u32)]` enum of stable codes from rows of
/// `/// description` `Variant = number => "name",`.
macro_rules! stable_codes {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[doc = $doc:literal])+
                $variant:ident = $number:literal => $text:literal,
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        #[repr(u32)]
        $vis enum $name {
            $( $(#[doc = $doc])+ $variant = $number, )+
        }

        impl $name {
            /// Every code, in the order of the table.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable snake_case name (what the bindings and the conformance vectors use).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }

            /// The stable name, NUL-terminated, for C.
            pub const fn as_c_str(self) -> &'static core::ffi::CStr {
                match self {
                    $(
                        $name::$variant => match core::ffi::CStr::from_bytes_with_nul(
                            concat!($text, "\0").as_bytes(),
                        ) {
                            Ok(name) => name,
                            Err(_) => c"",
                        },
                    )+
                }
            }

            /// The stable number (never reused).
            pub const fn number(self) -> u32 {
                self as u32
            }

            /// The code with this number, if there is one.
            pub fn from_number(number: u32) -> Option<Self> {
                Self::ALL.iter().copied().find(|code| code.number() == number)
            }

            /// The code with this name, if there is one.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|code| code.as_str() == name)
            }

            /// What the code means, for people: its documentation, on one line.
            pub fn description(self) -> &'static str {
                match self {
                    $( $name::$variant => concat!($($doc),+), )+
                }
                .trim_start()
            }
        }

        /// Serialized as its stable name.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use stable_codes;
