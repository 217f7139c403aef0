"""Use cases: the only layer that combines domain rules with the store."""
