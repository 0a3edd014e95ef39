"""What the claims cite: the source documents (:mod:`.seeds`) and the statements of theirs that no
claim checks, each with its reason (:mod:`.unclaimed`)."""
