"""OSTrack training setups: ``python ltr/run_training.py ostrack <name>``."""
