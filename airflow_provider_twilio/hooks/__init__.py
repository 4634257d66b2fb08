"""Hooks: how the provider reaches Twilio."""
