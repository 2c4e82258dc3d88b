"""ektp: KTP-el issuance platform for Indonesian civil-registry offices."""
