"""Hostile inputs and hostile environments: Reel says what is wrong, never crashes, never loses."""
