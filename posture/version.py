"""The version of posture, in one module every other one can import without importing the package."""

__version__ = "0.1.0"
