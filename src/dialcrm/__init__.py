"""dialcrm: an open, web-based CRM with a predictive dialer for call centers."""
