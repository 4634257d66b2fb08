"""The emulator's records and the rules that make them: messages, numbers, addresses, inbound and outbound forms."""
