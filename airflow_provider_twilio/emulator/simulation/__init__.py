"""The simulated world's rules: people and their answers, magic numbers, faults, and the settings that tune them."""
