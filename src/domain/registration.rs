//! A registration's status.

crate::stored_as_text! {
    pub enum RegistrationStatus {
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
