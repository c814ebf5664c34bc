"""Tracker networks that are not a backbone + bbreg pair: one module per tracker (``ostrack``: one-stream ViT)."""
