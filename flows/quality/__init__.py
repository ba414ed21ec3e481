"""Where a quality rule lives: the rulebook, the gate (validate) and clerks' feedback."""
