"""Operators that move Twilio data to other systems."""
