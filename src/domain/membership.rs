//! A membership application's status.

crate::stored_as_text! {
    pub enum ApplicationStatus {
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
    }
}
