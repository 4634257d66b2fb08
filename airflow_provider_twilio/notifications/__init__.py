"""Part of the Twilio provider."""
