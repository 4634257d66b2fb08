"""HTTP plumbing every resource shares: routing, errors, request checks, listing and paging, time formats, URLs."""
