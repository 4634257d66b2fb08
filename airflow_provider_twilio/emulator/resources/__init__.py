"""One module per Twilio REST resource the emulator serves, with the stores and rules behind them."""
