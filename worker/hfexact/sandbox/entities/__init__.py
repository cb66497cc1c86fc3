"""Exact's entity sets and their business rules; ``registry.entity_sets()`` lists them."""
