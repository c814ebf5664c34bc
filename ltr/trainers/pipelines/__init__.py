"""Reusable training pipelines: datasets -> sampler -> processing -> loader -> actor -> trainer, one module per tracker family."""
