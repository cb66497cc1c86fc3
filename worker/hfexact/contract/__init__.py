"""The event contract: schemas/ in Python (typed domain objects, parsing, validation)."""
