//! Authentication: password hashing, access JWTs, opaque refresh tokens, login
//! throttling, and the `SignedIn` / `Admin` extractors.

pub mod extractors;
pub mod jwt;
pub mod passwords;
pub mod throttle;
pub mod tokens;

pub(crate) use extractors::bearer_token;
pub use extractors::{Admin, SignedIn};
pub use jwt::JwtKeys;
