"""paperbot: research paper recommendations for chat, with a platform-free core."""

__version__ = "0.1.0"
