"""rebalance: from muscle-imbalance measurements to findings, patterns and a safe program."""

__version__ = "0.1.0"
