"""Finding inbound SMS replies: one implementation shared by the sensor and the trigger."""
