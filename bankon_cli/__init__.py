"""bankon: back office of an agent-led client onboarding service."""

__version__ = "0.1.0"
