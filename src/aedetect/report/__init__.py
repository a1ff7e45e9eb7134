"""Pictures of a result: plots (matplotlib) for people who would rather look than read."""
