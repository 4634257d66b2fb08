"""Message, call and recording history written to object storage: one file per time window, exactly once."""
