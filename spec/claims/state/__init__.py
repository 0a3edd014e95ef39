"""State: the initial state, and carrying h_n (and c_n) from one call into the next."""
