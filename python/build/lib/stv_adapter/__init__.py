"""Scene to Video's FastVideo adapter."""

__version__ = "0.1.0"
