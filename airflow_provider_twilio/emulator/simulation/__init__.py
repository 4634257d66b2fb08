"""The simulated world behind the API: people, message and call lifecycles, deliveries, faults and settings."""
