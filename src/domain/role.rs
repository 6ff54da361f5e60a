//! What an account may do.

// A plain comment on the enum: a doc comment would enter the contract.
crate::stored_as_text! {
    pub enum Role {
        Member => "member",
        Admin => "admin",
    }
}
