"""Local Twilio-compatible API server."""
