"""One module per Twilio REST resource the emulator serves, and the request helpers they share."""
