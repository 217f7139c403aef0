"""A no-op marker so Babel can extract message ids defined in the domain."""

__all__ = ["N_"]


def N_(message: str) -> str:
    """Mark a message id for extraction; translated later in the reader's locale."""
    return message
