//! Authentication: password hashing, access JWTs, opaque refresh tokens, known
//! devices, and the `SignedIn` / `Admin` extractors.

pub mod devices;
pub mod extractors;
pub mod jwt;
pub mod passwords;
pub mod tokens;

pub(crate) use extractors::bearer_token;
pub use extractors::{Admin, SignedIn};
pub use jwt::JwtKeys;
