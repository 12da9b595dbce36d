"""moneystory: a private, local money story from your own bank exports."""

__version__ = "0.1.0"
