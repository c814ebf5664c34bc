"""OSTrack parameter sets: one module per released configuration, each ``parameters() -> OSTrackParams``."""
