//! A registration's status.

crate::stored_as_text! {
    /// `pending_confirmation` (on events with `registration.email_confirmation`): the
    /// place is held until `confirm_by` for the registrant to follow the emailed link,
    /// and becomes `confirmed` (or `waitlisted`) only then; unconfirmed, it is
    /// `cancelled` and its seat freed. `confirmed` holds a seat; `waitlisted` waits in
    /// arrival order for one.
    pub enum RegistrationStatus {
        PendingConfirmation => "pending_confirmation",
        Confirmed => "confirmed",
        Waitlisted => "waitlisted",
        Cancelled => "cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::RegistrationStatus;

    #[test]
    fn every_status_reads_back_its_stored_name_and_nothing_else_reads() {
        for status in RegistrationStatus::ALL {
            assert_eq!(status.as_str().parse::<RegistrationStatus>(), Ok(*status));
        }
        for bad in ["", "Confirmed", "confirmed ", "deleted"] {
            assert!(bad.parse::<RegistrationStatus>().is_err(), "{bad:?}");
        }
    }
}
