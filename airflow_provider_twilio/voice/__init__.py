"""Voice calls: TwiML building and checks, call options, escalation results."""
