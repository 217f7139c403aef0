"""Multi-step conversations (complaint intake), each with its state diagram beside it."""
