"""Transfer operators: rows read from another system, sent as SMS."""
