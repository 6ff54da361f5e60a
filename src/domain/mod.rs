//! Parsed, always-valid values. Constructors enforce the rules; handlers convert
//! request DTOs into these before anything reaches the database.

pub mod borough;
pub mod bulletin;
pub mod email;
pub mod event;
pub mod ids;
pub mod membership;
pub mod page;
pub mod password;
pub mod registration;
pub mod role;
pub mod slug;
pub mod stored_text;
pub mod time;

pub use borough::Borough;
pub use email::Email;
pub use password::Password;
pub use role::Role;
pub use slug::Slug;
