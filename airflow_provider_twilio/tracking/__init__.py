"""Status tracking for sent messages and placed calls: one core (``core``), one module per resource."""
